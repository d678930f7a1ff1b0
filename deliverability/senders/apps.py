from django.apps import AppConfig


class SendersConfig(AppConfig):
    name = "deliverability.senders"
    label = "senders"
    verbose_name = "Sender health"
