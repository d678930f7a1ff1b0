from django.apps import AppConfig


class VerdictsConfig(AppConfig):
    name = "deliverability.verdicts"
    label = "verdicts"
