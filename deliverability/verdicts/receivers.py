"""Signal receivers of the verdicts layer (connected in VerdictsConfig.ready; plain functions, so tests
can call them): an imported upload is analysed, campaigns that lost events are judged again."""
from __future__ import annotations

from deliverability.taskqueue import dispatch
from deliverability.verdicts import tasks


def on_upload_imported(sender, upload_id: int, **kwargs) -> None:
    dispatch(tasks.analyze_upload, upload_id)


def on_campaigns_changed(sender, organization_id: int, campaign_ids, **kwargs) -> None:
    if campaign_ids:
        dispatch(tasks.judge_campaigns, list(campaign_ids))
    # The deleted events may have been other campaigns' complaints: their un-suppression plans too.
    dispatch(tasks.refresh_recovery_plans, organization_id)
