from django.apps import AppConfig


class VerdictsConfig(AppConfig):
    name = "deliverability.verdicts"
    label = "verdicts"

    def ready(self) -> None:
        from deliverability.campaigns.signals import campaigns_changed, upload_imported
        from deliverability.verdicts import receivers

        upload_imported.connect(receivers.on_upload_imported, dispatch_uid="verdicts.analyze_upload")
        campaigns_changed.connect(receivers.on_campaigns_changed, dispatch_uid="verdicts.judge_campaigns")
