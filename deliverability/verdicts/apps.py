from django.apps import AppConfig


class VerdictsConfig(AppConfig):
    name = "deliverability.verdicts"
    label = "verdicts"

    def ready(self) -> None:
        from deliverability.campaigns.signals import campaigns_changed, upload_imported
        from deliverability.taskqueue import dispatch
        from deliverability.verdicts import tasks

        def on_upload_imported(sender, upload_id, **kwargs):
            dispatch(tasks.analyze_upload, upload_id)

        def on_campaigns_changed(sender, organization_id, campaign_ids, **kwargs):
            if campaign_ids:
                dispatch(tasks.judge_campaigns, list(campaign_ids))

        upload_imported.connect(on_upload_imported, weak=False, dispatch_uid="verdicts.analyze_upload")
        campaigns_changed.connect(on_campaigns_changed, weak=False, dispatch_uid="verdicts.judge_campaigns")
