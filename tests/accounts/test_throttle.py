"""Sign-in throttling, audited failures, rate-limited resets and invitations, equal answer times."""
from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from deliverability import taskqueue
from deliverability.accounts.models import AuditEvent, Invitation
from tests.factories import PASSWORD, make_user

LOGIN = "/accounts/login/"


def _fail(client, username, times, address="10.0.0.1"):
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "wrong-password"}, REMOTE_ADDR=address)
        assert response.status_code in (200, 429)


def test_ten_failures_lock_the_account_even_for_the_right_password(client, viewer_a):
    """GIVEN 10 wrong passwords for one account WHEN the right one comes THEN refused, 429, plain message."""
    _fail(client, "viewer-a", 10)
    response = client.post(LOGIN, {"username": "viewer-a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert b"Signing in is paused for 15 minutes" in response.content
    assert "_auth_user_id" not in client.session
    # From another address too: the account itself is locked.
    other = client.post(LOGIN, {"username": "viewer-a", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 429


def test_nine_failures_still_let_the_right_password_in(client, viewer_a):
    _fail(client, "viewer-a", 9)
    response = client.post(LOGIN, {"username": "viewer-a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302


def test_ten_failures_from_one_address_lock_that_address_for_every_account(client, viewer_a):
    for n in range(10):
        _fail(client, f"guess-{n}", 1, address="10.0.0.7")
    response = client.post(LOGIN, {"username": "viewer-a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429
    elsewhere = client.post(LOGIN, {"username": "viewer-a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert elsewhere.status_code == 302


def test_the_lock_ends_after_the_cool_down(client, viewer_a):
    _fail(client, "viewer-a", 10)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = client.post(LOGIN, {"username": "viewer-a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302


def test_failed_and_locked_sign_ins_are_audited(client, viewer_a):
    _fail(client, "viewer-a", 10)
    failed = AuditEvent.objects.filter(action="login_failed", username="viewer-a")
    assert failed.count() == 10
    assert failed.first().detail["address"] == "10.0.0.1"
    assert AuditEvent.objects.filter(action="login_locked", username="viewer-a").exists()


def test_test_client_login_with_credentials_still_works(client, viewer_a):
    """Client.login() authenticates without a request; the throttle steps aside, the password is checked."""
    assert client.login(username="viewer-a", password=PASSWORD)
    assert not client.login(username="viewer-a", password="wrong")


@pytest.mark.django_db(transaction=True)
def test_sign_in_answers_take_the_same_time_for_known_and_unknown_accounts(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    make_user("known-user")

    def timed(username):
        started = time.perf_counter()
        client.post(LOGIN, {"username": username, "password": "wrong-password"}, REMOTE_ADDR="10.1.0.1")
        return time.perf_counter() - started

    known = statistics.median(timed("known-user") for _ in range(4))
    unknown = statistics.median(timed("nobody-here") for _ in range(4))
    assert 0.5 < unknown / known < 2, (known, unknown)


# --- Password reset ----------------------------------------------------------------------------


def test_password_reset_sends_no_mail_inside_the_request(client, viewer_a, settings,
                                                         django_capture_on_commit_callbacks):
    """The link is mailed by a background task after the answer: known and unknown addresses take the same time."""
    settings.CELERY_BROKER_URL = None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("password_reset"), {"email": viewer_a.email})
    assert response.status_code == 302
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    taskqueue.wait_for_background_tasks()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [viewer_a.email]
    assert "/accounts/reset/" in mail.outbox[0].body


class SlowMailBackend:
    """An SMTP server that takes 0.4 s to answer (a real one often takes longer)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        time.sleep(0.4)
        return len(messages)


@pytest.mark.django_db(transaction=True)
def test_password_reset_answers_take_the_same_time_for_known_and_unknown_addresses(client, settings):
    settings.CELERY_BROKER_URL = None
    settings.EMAIL_BACKEND = "tests.accounts.test_throttle.SlowMailBackend"
    user = make_user("reset-timing")

    def timed(email):
        started = time.perf_counter()
        assert client.post(reverse("password_reset"), {"email": email}).status_code == 302
        return time.perf_counter() - started

    known = [timed(user.email) for _ in range(3)]
    unknown = [timed(f"nobody{n}@nowhere.test") for n in range(3)]
    taskqueue.wait_for_background_tasks()
    assert max(known) < 0.3, known  # the slow SMTP answer is not waited for
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.15, (known, unknown)


def test_password_reset_is_rate_limited_per_address(client, viewer_a, settings):
    settings.CELERY_BROKER_URL = None
    for _ in range(5):
        assert client.post(reverse("password_reset"), {"email": viewer_a.email}).status_code == 302
    refused = client.post(reverse("password_reset"), {"email": viewer_a.email})
    assert refused.status_code == 429
    assert b"Too many password reset requests" in refused.content
    # Another address is still answered (the limit is per address asked for) ...
    assert client.post(reverse("password_reset"), {"email": "other@agency.test"}).status_code == 302


def test_password_reset_is_rate_limited_per_client_address(client, db, settings):
    settings.CELERY_BROKER_URL = None
    for n in range(20):
        assert client.post(reverse("password_reset"), {"email": f"user{n}@agency.test"}).status_code == 302
    assert client.post(reverse("password_reset"), {"email": "user99@agency.test"}).status_code == 429


# --- Invitations -------------------------------------------------------------------------------


def test_invitations_are_rate_limited_per_staff_user(client, staff, org_a, settings):
    settings.INVITATION_RATE = "3/h"
    client.force_login(staff)
    url = reverse("members", kwargs={"org_slug": org_a.slug})
    for n in range(3):
        assert client.post(url, {"action": "invite", "email": f"new{n}@client.test", "role": "viewer"}).status_code == 302
    refused = client.post(url, {"action": "invite", "email": "new9@client.test", "role": "viewer"})
    assert refused.status_code == 429
    assert Invitation.objects.count() == 3 and len(mail.outbox) == 3


def test_invitation_links_are_rate_limited_per_client_address(client, org_a):
    url = reverse("invitation_accept", kwargs={"org_slug": org_a.slug, "token": "guess"})
    statuses = [client.get(url).status_code for _ in range(61)]
    assert 429 not in statuses[:60] and statuses[60] == 429
