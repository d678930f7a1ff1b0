from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "deliverability.domains"
    label = "domains"
