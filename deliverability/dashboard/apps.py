from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "deliverability.dashboard"
    label = "dashboard"

    def ready(self) -> None:
        # Late data for the weekly review: the snapshots of the weeks an import or a deletion
        # (or a staff override) touched are marked stale here, and recomputed from the rollups once the verdicts
        # app's analysis of that import is done (see dashboard/snapshots.py).
        from django.utils import timezone

        from deliverability.campaigns.models import Upload
        from deliverability.campaigns.signals import campaigns_changed, upload_imported
        from deliverability.dashboard import snapshots, tasks
        from deliverability.taskqueue import dispatch

        def on_upload_imported(sender, upload_id, **kwargs):
            if snapshots.mark_stale_for_upload(upload_id, timezone.now()):
                org_id = Upload.objects.filter(pk=upload_id).values_list("organization_id", flat=True).first()
                dispatch(tasks.refresh_stale_snapshots, org_id)

        def on_campaigns_changed(sender, organization_id, campaign_ids, **kwargs):
            if snapshots.mark_stale_for_campaigns(organization_id, campaign_ids or (), timezone.now()):
                dispatch(tasks.refresh_stale_snapshots, organization_id)

        upload_imported.connect(on_upload_imported, weak=False, dispatch_uid="dashboard.weekly_late_data")
        campaigns_changed.connect(on_campaigns_changed, weak=False, dispatch_uid="dashboard.weekly_campaigns_changed")
        # An override changes the figures of a published week just as late data does.
        from deliverability.verdicts.signals import verdicts_changed

        verdicts_changed.connect(on_campaigns_changed, weak=False, dispatch_uid="dashboard.weekly_verdicts_changed")
