"""Thin tasks of the accounts: mail that must not be sent inside the request that asked for it."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives


@shared_task(queue="default", acks_late=True, time_limit=120, autoretry_for=(OSError,), retry_backoff=30,
             max_retries=5)
def send_account_mail(subject: str, body: str, to: list[str], html_body: str | None = None) -> None:
    """Send one account mail (a password-reset link). Sending again after a lost worker sends a
    second copy of the same link, which is harmless."""
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    message.send()
