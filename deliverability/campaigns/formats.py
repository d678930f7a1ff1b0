"""The formats we read (ingest.FORMATS), named in words for pages: "Amazon SES notifications (JSON)", not "ses"."""
from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from deliverability import ingest

FORMAT_LABELS = {
    "csv": _("Spreadsheet (CSV), one row per event"),
    "dsn": _("Bounce emails (.eml, mbox)"),
    "mailchimp": _("Mailchimp export (CSV)"),
    "hubspot": _("HubSpot export (CSV)"),
    "sendgrid": _("SendGrid events (JSON or CSV)"),
    "ses": _("Amazon SES notifications (JSON)"),
    "mailgun": _("Mailgun events (JSON)"),
    "postmark": _("Postmark bounces (JSON)"),
    "sparkpost": _("SparkPost events (JSON)"),
    "mailjet": _("Mailjet events (JSON)"),
    "brevo": _("Brevo events (JSON)"),
    "zip": _("Zip archive of any of these"),
}


def format_choices() -> list[tuple[str, str]]:
    return [("auto", _("Detect automatically"))] + [(name, FORMAT_LABELS.get(name, name)) for name in ingest.FORMATS]


def format_label(name: str) -> str:
    """A format in words; "" and "auto" (not detected yet) → "Detected automatically"."""
    return str(FORMAT_LABELS.get(name, name)) if name and name != "auto" else gettext("Detected automatically")
