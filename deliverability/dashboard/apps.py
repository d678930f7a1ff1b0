from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "deliverability.dashboard"
    label = "dashboard"

    def ready(self) -> None:
        from deliverability.campaigns.signals import campaigns_changed, upload_imported
        from deliverability.dashboard import receivers
        from deliverability.verdicts.signals import verdicts_changed

        upload_imported.connect(receivers.on_upload_imported, dispatch_uid="dashboard.weekly_late_data")
        campaigns_changed.connect(receivers.on_campaigns_changed, dispatch_uid="dashboard.weekly_campaigns_changed")
        verdicts_changed.connect(receivers.on_campaigns_changed, dispatch_uid="dashboard.weekly_verdicts_changed")
