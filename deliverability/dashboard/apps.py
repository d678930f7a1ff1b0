from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "deliverability.dashboard"
    label = "dashboard"
