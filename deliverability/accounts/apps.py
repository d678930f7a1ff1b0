from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "deliverability.accounts"
    label = "accounts"

    def ready(self) -> None:
        from deliverability.accounts import (
            audit,  # noqa: F401 - connects the login receiver
            language,  # noqa: F401 - remembers the user's language at sign-in
            throttle,  # noqa: F401 - audits failed and locked sign-ins
        )
