"""Invitations: single use, expiring, bound to one organisation; the token is never stored."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from deliverability.accounts import invitations
from deliverability.accounts.models import AuditEvent, Invitation, Membership

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def _invite(client, staff, org, email="client@northwind.test", role="viewer") -> str:
    client.force_login(staff)
    response = client.post(reverse("members", kwargs={"org_slug": org.slug}),
                           {"action": "invite", "email": email, "role": role})
    assert response.status_code == 302  # POST/redirect/GET: the members page
    client.logout()
    url = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    return url.split("testserver", 1)[1]


def _accept(client, path, username="client-user"):
    return client.post(path, {"username": username, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


def test_staff_invites_by_email_and_the_link_creates_the_user_and_membership(client, staff, org_a):
    path = _invite(client, staff, org_a, role="manager")
    assert mail.outbox[-1].to == ["client@northwind.test"]
    assert client.get(path).status_code == 200
    response = _accept(client, path)
    assert response.status_code == 302 and response["Location"] == reverse("organization", args=[org_a.slug])
    user = get_user_model().objects.get(username="client-user")
    assert user.email == "client@northwind.test" and user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user).role == "manager"
    assert client.get(reverse("organization", args=[org_a.slug])).status_code == 200  # signed in
    actions = set(AuditEvent.objects.filter(organization=org_a).values_list("action", flat=True))
    assert {"invite", "invite_accept"} <= actions


def test_the_token_is_stored_only_as_a_hash(client, staff, org_a):
    path = _invite(client, staff, org_a)
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64


def test_a_used_link_does_not_work_twice(client, staff, org_a):
    path = _invite(client, staff, org_a)
    assert _accept(client, path).status_code == 302
    client.logout()
    again = _accept(client, path, username="someone-else")
    assert again.status_code == 410 and b"already used" in again.content
    assert not get_user_model().objects.filter(username="someone-else").exists()


def test_an_expired_link_does_not_work(client, staff, org_a):
    path = _invite(client, staff, org_a)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(path).status_code == 410
    assert _accept(client, path).status_code == 410
    assert not Membership.objects.filter(organization=org_a).exists()


def test_a_link_under_another_organisation_is_unknown(client, staff, org_a, org_b):
    path = _invite(client, staff, org_a)
    wrong = path.replace(f"/invitations/{org_a.slug}/", f"/invitations/{org_b.slug}/")
    assert client.get(wrong).status_code == 404
    assert _accept(client, wrong).status_code == 404
    assert not Membership.objects.exists()


def test_a_withdrawn_invitation_does_not_work(client, staff, org_a):
    path = _invite(client, staff, org_a)
    client.force_login(staff)
    client.post(reverse("members", args=[org_a.slug]), {"action": "revoke", "invitation": Invitation.objects.get().pk})
    client.logout()
    assert client.get(path).status_code == 410


def test_accepting_twice_at_once_creates_one_user(staff, org_a):
    issued = invitations.invite(org_a, "x@northwind.test", "viewer", staff)
    token = issued.url.rstrip("/").rsplit("/", 1)[1]
    invitations.accept(org_a.slug, token, username="first", password=NEW_PASSWORD)
    with pytest.raises(invitations.InvitationError):
        invitations.accept(org_a.slug, token, username="second", password=NEW_PASSWORD)
    assert Membership.objects.filter(organization=org_a).count() == 1


def test_weak_or_mismatched_passwords_are_refused(client, staff, org_a):
    path = _invite(client, staff, org_a)
    response = client.post(path, {"username": "u1", "password1": "password", "password2": "password"})
    assert response.status_code == 200 and not get_user_model().objects.filter(username="u1").exists()
    response = client.post(path, {"username": "u1", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert response.status_code == 200 and Invitation.objects.get().accepted_at is None


def test_staff_changes_roles_and_removes_members(client, staff, org_a, viewer_a):
    client.force_login(staff)
    membership = Membership.objects.get(user=viewer_a)
    client.post(reverse("members", args=[org_a.slug]), {"action": "role", "membership": membership.pk,
                                                         "role": "manager"})
    membership.refresh_from_db()
    assert membership.role == "manager"
    client.post(reverse("members", args=[org_a.slug]), {"action": "remove", "membership": membership.pk,
                                                         "confirmed": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="member", organization=org_a).count() == 2


def test_a_membership_of_another_organisation_cannot_be_changed_through_this_one(client, staff, org_a, viewer_b):
    client.force_login(staff)
    membership = Membership.objects.get(user=viewer_b)
    response = client.post(reverse("members", args=[org_a.slug]), {"action": "role", "membership": membership.pk,
                                                                    "role": "manager"})
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.role == "viewer"


def test_members_page_escapes_names(client, staff, org_a):
    user = get_user_model().objects.create_user(username="evil", email="<script>x</script>@a.test", password="x")
    Membership.objects.create(user=user, organization=org_a, role="viewer")
    client.force_login(staff)
    content = client.get(reverse("members", args=[org_a.slug])).content
    assert b"<script>x</script>" not in content and b"&lt;script&gt;" in content
