"""Password reset through Django's views with our templates; the link works once."""
from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from deliverability import taskqueue
from deliverability.accounts.models import AuditEvent
from tests.factories import PASSWORD

NEW_PASSWORD = "another-long-passphrase-2026"


def test_reset_by_email_then_sign_in_with_the_new_password(client, viewer_a, settings,
                                                          django_capture_on_commit_callbacks):
    settings.CELERY_BROKER_URL = None  # the mail task runs on this process's task thread
    assert b"Forgot your password" in client.get(reverse("login")).content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": viewer_a.email})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    taskqueue.wait_for_background_tasks()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [viewer_a.email]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session and redirects
    page = client.get(form_url)
    assert page.status_code == 200 and b"Choose a new password" in page.content
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")
    assert not client.login(username="viewer-a", password=PASSWORD)
    signed_in = client.post(reverse("login"), {"username": "viewer-a", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert AuditEvent.objects.filter(action="login", username="viewer-a").exists()
    # The link is spent once the password changed.
    client.logout()
    again = client.get(link, follow=True)
    assert b"This link does not work" in again.content


def test_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@nowhere.test"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
