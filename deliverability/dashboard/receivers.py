"""Signal receivers of the dashboard (connected in DashboardConfig.ready; plain functions, so tests can
call them). Late data for the weekly review: the snapshots of the weeks an import, a deletion or a
staff override touched are marked stale, and recomputed from the rollups in a task (after the verdicts
app's analysis of that import when tasks run in-process, in order; the hourly tick is the safety net)."""
from __future__ import annotations

from django.utils import timezone

from deliverability.campaigns.models import Upload
from deliverability.dashboard import snapshots, tasks
from deliverability.taskqueue import dispatch


def on_upload_imported(sender, upload_id: int, **kwargs) -> None:
    if snapshots.mark_stale_for_upload(upload_id, timezone.now()):
        org_id = Upload.objects.filter(pk=upload_id).values_list("organization_id", flat=True).first()
        dispatch(tasks.refresh_stale_snapshots, org_id)


def on_campaigns_changed(sender, organization_id: int, campaign_ids=(), **kwargs) -> None:
    """Also receives verdicts_changed (an override changes a published week's figures as late data does)."""
    if snapshots.mark_stale_for_campaigns(organization_id, campaign_ids or (), timezone.now()):
        dispatch(tasks.refresh_stale_snapshots, organization_id)
