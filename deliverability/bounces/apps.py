from django.apps import AppConfig


class BouncesConfig(AppConfig):
    name = "deliverability.bounces"
    label = "bounces"
