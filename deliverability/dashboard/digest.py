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
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from deliverability.accounts.language import organization_language

from .models import WeeklySnapshot
from .templatetags.sender_tags import sender_changes


def subscribers(snapshot: WeeklySnapshot):
    """Active users subscribed to the organisation who may still see it (staff, or a member), each with the
    language they chose (`chosen_language`, "" when none) read in the same query."""
    org_id = snapshot.organization_id
    return (get_user_model().objects.filter(digest_subscriptions__organization_id=org_id, is_active=True)
            .exclude(email="").filter(Q(is_staff=True) | Q(memberships__organization_id=org_id))
            .annotate(chosen_language=Coalesce("profile__language", Value("")))
            .distinct().order_by("pk"))


def week_url(snapshot: WeeklySnapshot) -> str:
    path = reverse("weekly_week", kwargs={"org_slug": snapshot.organization.slug, "week": snapshot.week.isoformat()})
    return settings.SITE_URL + path


def subject(snapshot: WeeklySnapshot) -> str:
    """The subject in the active language (build_message activates the recipient's)."""
    payload = snapshot.payload
    b2b = next((h for h in payload.get("headline", ()) if h["key"] == "b2b_rate"), None)
    name = snapshot.organization.name
    # 26 Oct 2026 in English (as before), 26/10/2026 in Catalan and Spanish
    week = formats.date_format(snapshot.week, "d M Y" if translation.get_language() == "en" else "SHORT_DATE_FORMAT")
    if b2b and b2b["value"] is not None:
        rate = formats.number_format(round(b2b["value"], 2), 2)
        if b2b["delta"] == 0:
            text = _("Weekly review, %(org)s, week of %(week)s: B2B bounce rate %(rate)s%% (unchanged)") % {
                "org": name, "week": week, "rate": rate}
        elif b2b["delta"] is not None:
            delta = ("+" if b2b["delta"] > 0 else "") + formats.number_format(round(b2b["delta"], 2), 2)
            text = _("Weekly review, %(org)s, week of %(week)s: B2B bounce rate %(rate)s%% (%(arrow)s %(delta)s pts)") % {
                "org": name, "week": week, "rate": rate, "arrow": b2b["arrow"], "delta": delta}
        else:
            text = _("Weekly review, %(org)s, week of %(week)s: B2B bounce rate %(rate)s%%") % {
                "org": name, "week": week, "rate": rate}
    else:
        text = _("Weekly review, %(org)s, week of %(week)s") % {"org": name, "week": week}
    return " ".join(text.split())  # no line breaks from an organisation's name can reach the header


def build_message(snapshot: WeeklySnapshot, to, language: str | None = None,
                  sender_news: list | None = None) -> EmailMultiAlternatives:
    """One subscriber's digest, in their language (`to` a user: their choice, else the organisation's,
    else English; `to` an address: `language`, else the organisation's, else English). `sender_news`: the
    week's sender changes when the caller read them already (one read for every subscriber)."""
    from deliverability.accounts.language import recipient_language

    if isinstance(to, str):
        address, language = to, language or recipient_language(None, snapshot.organization)
    else:
        address, language = to.email, language or recipient_language(to, snapshot.organization)
    if sender_news is None:
        sender_news = sender_changes(snapshot.organization, snapshot.payload.get("week"))
    context = {"org": snapshot.organization, "snapshot": snapshot, "p": snapshot.payload, "url": week_url(snapshot),
               "sender_news": sender_news}
    with translation.override(language):
        text = render_to_string("dashboard/email/weekly_digest.txt", context)
        html = render_to_string("dashboard/email/weekly_digest.html", context)
        message = EmailMultiAlternatives(subject(snapshot), text, settings.DEFAULT_FROM_EMAIL, [address])
    message.attach_alternative(html, "text/html")
    return message


def send_digest(snapshot: WeeklySnapshot, now: datetime) -> int:
    """Mail the week's digest unless it was mailed already; returns the number of messages sent.

    Weeks without a campaign send nothing (an empty mail teaches people to ignore the digest)."""
    if not snapshot.payload.get("campaigns"):
        return 0
    if not WeeklySnapshot.objects.filter(pk=snapshot.pk, digest_sent_at__isnull=True).update(digest_sent_at=now):
        return 0  # another run claimed (and sent) it
    # Each subscriber's language from the subscribers' query (not a profile read per subscriber), the week's
    # sender changes read once.
    fallback = organization_language(snapshot.organization)
    news = sender_changes(snapshot.organization, snapshot.payload.get("week"))
    messages = [build_message(snapshot, user.email, user.chosen_language or fallback, news)
                for user in subscribers(snapshot)]
    if messages:
        get_connection().send_messages(messages)
    WeeklySnapshot.objects.filter(pk=snapshot.pk).update(digest_recipients=len(messages))
    snapshot.digest_sent_at, snapshot.digest_recipients = now, len(messages)
    return len(messages)
