from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "deliverability.campaigns"
    label = "campaigns"
