"""The weekly digest: headline figures and a link, mailed once per published week to subscribers.

Plain-text and HTML parts from templates (Django escapes the HTML part; the text part is
plain text, and the subject is stripped of line breaks). Each subscriber gets their own
message, so no address is disclosed to the others.
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from .models import WeeklySnapshot


def subscribers(snapshot: WeeklySnapshot):
    """Active users subscribed to the organisation who may still see it (staff, or a member)."""
    org_id = snapshot.organization_id
    return (get_user_model().objects.filter(digest_subscriptions__organization_id=org_id, is_active=True)
            .exclude(email="").filter(Q(is_staff=True) | Q(memberships__organization_id=org_id))
            .distinct().order_by("pk"))


def week_url(snapshot: WeeklySnapshot) -> str:
    path = reverse("weekly_week", kwargs={"org_slug": snapshot.organization.slug, "week": snapshot.week.isoformat()})
    return settings.SITE_URL + path


def subject(snapshot: WeeklySnapshot) -> str:
    payload = snapshot.payload
    b2b = next((h for h in payload.get("headline", ()) if h["key"] == "b2b_rate"), None)
    tail = ""
    if b2b and b2b["value"] is not None:
        tail = f": B2B bounce rate {b2b['value']:.2f}%"
        if b2b["delta"] == 0:
            tail += " (unchanged)"
        elif b2b["delta"] is not None:
            tail += f" ({b2b['arrow']} {b2b['delta']:+.2f} pts)"
    text = f"Weekly review, {snapshot.organization.name}, week of {snapshot.week:%d %b %Y}{tail}"
    return " ".join(text.split())  # no line breaks from an organisation's name can reach the header


def build_message(snapshot: WeeklySnapshot, to: str) -> EmailMultiAlternatives:
    context = {"org": snapshot.organization, "snapshot": snapshot, "p": snapshot.payload, "url": week_url(snapshot)}
    text = render_to_string("dashboard/email/weekly_digest.txt", context)
    html = render_to_string("dashboard/email/weekly_digest.html", context)
    message = EmailMultiAlternatives(subject(snapshot), text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def send_digest(snapshot: WeeklySnapshot, now: datetime) -> int:
    """Mail the week's digest unless it was mailed already; returns the number of messages sent.

    Weeks without a campaign send nothing (an empty mail teaches people to ignore the digest)."""
    if not snapshot.payload.get("campaigns"):
        return 0
    if not WeeklySnapshot.objects.filter(pk=snapshot.pk, digest_sent_at__isnull=True).update(digest_sent_at=now):
        return 0  # another run claimed (and sent) it
    messages = [build_message(snapshot, user.email) for user in subscribers(snapshot)]
    if messages:
        get_connection().send_messages(messages)
    WeeklySnapshot.objects.filter(pk=snapshot.pk).update(digest_recipients=len(messages))
    snapshot.digest_sent_at, snapshot.digest_recipients = now, len(messages)
    return len(messages)
