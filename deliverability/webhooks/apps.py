from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "deliverability.webhooks"
    verbose_name = "ESP webhooks"
