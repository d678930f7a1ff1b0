"""Staff pages of issue 19: a client organisation created on its own page (name, short name, time zone,
first invitation), removing a member asks first and says what goes, the weekly digest confirms."""
from __future__ import annotations

from django.core import mail
from django.urls import reverse

from deliverability.accounts.models import AuditEvent, Invitation, Membership, Organization
from deliverability.dashboard.models import DigestSubscription
from tests.factories import make_campaign


def test_staff_create_an_organisation_with_its_first_invitation(client, staff):
    client.force_login(staff)
    page = client.get(reverse("organization_new")).content.decode()
    assert 'name="timezone"' in page and ">Europe/Madrid<" in page and 'name="invite_email"' in page
    response = client.post(reverse("organization_new"), {
        "name": "Lumen Analytics", "slug": "", "timezone": "America/New_York",
        "invite_email": "Maria@Lumen.example", "invite_role": "manager"}, follow=True)
    assert response.redirect_chain == [(reverse("members", args=["lumen-analytics"]), 302)]  # POST/redirect/GET
    org = Organization.objects.get(slug="lumen-analytics")
    assert (org.name, org.timezone) == ("Lumen Analytics", "America/New_York")
    invitation = Invitation.objects.get(organization=org)
    assert (invitation.email, invitation.role) == ("maria@lumen.example", "manager")
    body = response.content.decode()
    assert 'id="invite-url"' in body and "/invitations/lumen-analytics/" in body  # shown once, as on the members page
    assert "Members of Lumen Analytics" in body
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maria@lumen.example"]
    assert AuditEvent.objects.filter(action="org_create", organization=org).exists()


def test_an_organisation_without_invitation_goes_to_its_members_page(client, staff):
    client.force_login(staff)
    response = client.post(reverse("organization_new"), {"name": "Borealis", "slug": "borealis-foods",
                                                         "timezone": "Europe/Madrid", "invite_role": "viewer"})
    assert response["Location"] == reverse("members", args=["borealis-foods"])
    assert not Invitation.objects.exists()


def test_a_taken_short_name_or_unknown_time_zone_is_refused_with_the_reason(client, staff, org_a):
    client.force_login(staff)
    page = client.post(reverse("organization_new"), {"name": "Acme again", "slug": org_a.slug,
                                                     "timezone": "Mars/Olympus", "invite_role": "viewer"}).content.decode()
    assert "is taken by another organisation" in page and "Mars/Olympus is not one of the available choices" in page
    assert Organization.objects.count() == 1


def test_the_home_page_offers_staff_the_new_organisation_page(client, staff, viewer_a):
    client.force_login(staff)
    assert reverse("organization_new") in client.get(reverse("home")).content.decode()
    client.force_login(viewer_a)
    assert reverse("organization_new") not in client.get(reverse("home")).content.decode()


def test_removing_a_member_asks_first_and_says_what_goes(client, staff, org_a, org_b, viewer_a):
    make_campaign(org_a, "Q4 newsletter")
    make_campaign(org_a, "Q3 newsletter")
    Membership.objects.create(user=viewer_a, organization=org_b, role="viewer")
    DigestSubscription.objects.create(user=viewer_a, organization=org_a)
    Invitation.objects.create(organization=org_a, email=viewer_a.email, role="viewer", token_hash="x" * 64,
                              expires_at="2099-01-01T00:00:00Z")
    membership = Membership.objects.get(user=viewer_a, organization=org_a)
    client.force_login(staff)
    url = reverse("members", args=[org_a.slug])
    page = client.post(url, {"action": "remove", "membership": membership.pk}).content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()  # asked, nothing removed
    assert "Remove viewer-a from Acme Industrial?" in page
    assert "its 2 campaigns, weekly reviews and uploads" in page and 'id="removes-digest"' in page
    assert "(with their access to Borealis Foods)" in page and "1 pending invitation to their address stays" in page
    assert 'name="confirmed" value="yes"' in page
    assert client.post(url, {"action": "remove", "membership": membership.pk, "confirmed": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert Membership.objects.filter(user=viewer_a, organization=org_b).exists()


def test_subscribing_to_the_digest_confirms_where_it_goes(client, org_a, viewer_a):
    client.force_login(viewer_a)
    url = reverse("weekly_subscription", args=[org_a.slug])
    page = client.post(url, {"subscribe": "1"}, follow=True).content.decode()
    assert "emailed to viewer-a@agency.test every Monday" in page
    assert DigestSubscription.objects.filter(user=viewer_a, organization=org_a).exists()
    page = client.post(url, {"subscribe": "0"}, follow=True).content.decode()
    assert "weekly digest email of Acme Industrial is stopped" in page
    assert not DigestSubscription.objects.exists()


def test_a_user_without_an_email_address_is_told_why_the_digest_cannot_come(client, org_a, viewer_a):
    viewer_a.email = ""
    viewer_a.save()
    client.force_login(viewer_a)
    page = client.post(reverse("weekly_subscription", args=[org_a.slug]), {"subscribe": "1"}, follow=True).content.decode()
    assert "Your account has no email address" in page
    assert not DigestSubscription.objects.exists()


def test_the_invitation_link_says_email_is_only_printed_when_the_server_does_not_send_it(client, staff, org_a, settings):
    """The demo (make run) prints email in its terminal (README, "Emails in the demo"): the page says so
    beside the link, and says nothing of the kind when mail is really sent."""
    client.force_login(staff)
    url = reverse("members", args=[org_a.slug])
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    page = client.post(url, {"action": "invite", "email": "ana@acme.example", "role": "viewer"},
                       follow=True).content.decode()
    assert 'id="invite-url"' in page and 'id="email-printed"' in page and "terminal" in page
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page = client.post(url, {"action": "invite", "email": "bob@acme.example", "role": "viewer"},
                       follow=True).content.decode()
    assert 'id="invite-url"' in page and 'id="email-printed"' not in page


def test_the_members_page_gives_invitation_times_in_the_organisations_time_zone(client, staff, org_a):
    """Like every page of an organisation (README, languages: "times are in the organisation's zone"); the
    members page showed UTC beside uploads in local time (fresh-eyes review, 5 Dec 2026)."""
    import datetime as dt

    org_a.timezone = "America/New_York"
    org_a.save(update_fields=["timezone"])
    client.force_login(staff)
    url = reverse("members", args=[org_a.slug])
    client.post(url, {"action": "invite", "email": "ana@acme.example", "role": "viewer"})
    sent = dt.datetime(2026, 11, 2, 15, 30, tzinfo=dt.UTC)  # 10:30 in New York (EST)
    Invitation.objects.filter(email="ana@acme.example").update(created_at=sent)
    page = client.get(url).content.decode()
    assert "10:30" in page and "15:30" not in page
    # the members page shown right after New client organisation, too
    page = client.post(reverse("organization_new"), {"name": "Nordlicht", "slug": "nordlicht",
                                                     "timezone": "Asia/Tokyo", "invite_email": "it@nordlicht.example",
                                                     "invite_role": "manager"}, follow=True).content.decode()
    sent = Invitation.objects.get(email="it@nordlicht.example").created_at
    assert 'id="invite-url"' in page
    assert sent.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%H:%M") in page
