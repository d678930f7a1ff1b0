from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "deliverability.accounts"
    label = "accounts"
