"""Which format is this file? Decided from its first 64 KB, never from its name.

Order: zip magic → email (mbox / RFC 5322 headers) → JSON (by the member names each ESP uses) →
CSV (by header names: Mailchimp, HubSpot, SendGrid presets, else the generic reader).
"""
from __future__ import annotations

import csv
import io
import re

from .csv_generic import normalise_header
from .records import UnsupportedFormat
from .textio import choose_encoding, decode_sample, looks_binary, sniff_delimiter

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or an empty archive
TRIED = "CSV, raw bounce emails (.eml/mbox), Mailchimp, HubSpot, SendGrid, Amazon SES, Mailgun, Postmark, SparkPost, Mailjet, Brevo JSON, or a zip of these"

# Member names that identify an ESP's JSON. Matched as substrings of the sample, so they also
# work on a truncated sample and inside SNS envelopes, where the SES message is an escaped string.
_JSON_SIGNS: dict[str, tuple[str, ...]] = {
    "ses": ("notificationType", "bouncedRecipients", "complainedRecipients", "delayedRecipients",
            "sendingAccountId", "sourceArn", "amazonses.com", '"eventType"',
            # An SNS envelope (AWS SNS developer guide, HTTP/S notification JSON): its SES event is an
            # escaped string, where '"eventType"' does not match.
            '"TopicArn"', '"SigningCertURL"', 'eventType\\"'),
    "mailgun": ('"event-data"', '"delivery-status"', '"log-level"', '"recipient-domain"',
                '"user-variables"'),
    "sendgrid": ('"sg_event_id"', '"sg_message_id"', '"smtp-id"', '"bounce_classification"',
                 '"sg_machine_open"'),
    "postmark": ('"BouncedAt"', '"TypeCode"', '"RecordType"', '"MessageStream"', '"CanActivate"',
                 '"DumpAvailable"'),
    "sparkpost": ('"msys"', '"message_event"', '"track_event"', '"bounce_class"', '"rcpt_to"',
                  '"transmission_id"'),
    "mailjet": ('"mj_campaign_id"', '"mj_contact_id"', '"Message_GUID"', '"customcampaign"', '"error_related_to"',
                '"smtp_reply"'),
    "brevo": ('"ts_epoch"', '"ts_event"', '"X-Mailin-custom"', '"sending_ip"', '"template_id"'),
    "hubspot": ('"portalId"', '"emailCampaignId"', '"appName"', '"sentBy"', '"obsoletedBy"',
                '"dropReason"', '"emailCampaignGroupId"'),
    "mailchimp": ('"email_address"', '"list_id"', '"campaign_id"'),
}
_HEADER_LINE = re.compile(rb"^(?:From \S|[A-Za-z][A-Za-z0-9-]{0,60}:[ \t]?\S?)")
_MAIL_HEADERS = (b"\nreceived:", b"\nreturn-path:", b"\ncontent-type:", b"\nmime-version:",
                 b"\nsubject:", b"\nmessage-id:", b"\ndate:", b"\nx-failed-recipients:",
                 b"\nauto-submitted:", b"\ndelivered-to:")


def detect_sample(sample: bytes, name: str = "") -> str:
    """The format name of a file whose first bytes are ``sample``; UnsupportedFormat otherwise."""
    if sample.startswith(ZIP_MAGIC):
        return "zip"
    if not sample.strip():
        raise UnsupportedFormat(f"{_called(name)}is empty; expected {TRIED}.")
    if looks_binary(sample):
        raise UnsupportedFormat(f"{_called(name)}is binary data, not one of the formats we read: {TRIED}.")
    if _looks_like_email(sample):
        return "dsn"
    encoding = choose_encoding(sample)
    text = decode_sample(sample, encoding).lstrip("\ufeff \t\r\n")
    if text[:1] in ("{", "["):
        return _json_format(text, name)
    fmt = _csv_format(text)
    if fmt:
        return fmt
    raise UnsupportedFormat(f"{_called(name)}does not look like any format we read; expected {TRIED}.")


def _called(name: str) -> str:
    return f"The file {name!r} " if name else "The file "


def _looks_like_email(sample: bytes) -> bool:
    head = sample.lstrip()[:8192]
    if head.startswith(b"From ") and b"\n" in head:
        return True  # mbox
    if not _HEADER_LINE.match(head):
        return False
    lowered = b"\n" + head.lower().replace(b"\r\n", b"\n")
    header_block = lowered.split(b"\n\n", 1)[0] + b"\n"
    return sum(1 for h in _MAIL_HEADERS if h in header_block) >= 2


def _json_format(text: str, name: str) -> str:
    scores = {fmt: sum(1 for sign in signs if sign in text) for fmt, signs in _JSON_SIGNS.items()}
    if scores["mailchimp"] and '"activity"' not in text and '"action"' not in text:
        scores["mailchimp"] = 0  # list_id / campaign_id alone are too common to mean Mailchimp
    best = max(scores, key=lambda f: scores[f])
    if scores[best] == 0:
        raise UnsupportedFormat(
            f"{_called(name)}is JSON, but not a shape we recognise; expected the events of "
            "Amazon SES, SendGrid, Mailgun, Postmark, SparkPost, Mailjet, Brevo, HubSpot or Mailchimp."
        )
    return best


def csv_header(text: str) -> list[str]:
    delimiter = sniff_delimiter(text)
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in row):
                return row
    except csv.Error:
        return []
    return []


def _csv_format(text: str) -> str | None:
    header = csv_header(text)
    keys = {normalise_header(h) for h in header}
    keys.discard("")
    if not keys:
        return None
    if "emailaddress" in keys and keys & {"cleantime", "unsubtime", "memberrating", "leid", "euid",
                                          "optintime", "confirmtime", "cleancampaigntitle"}:
        return "mailchimp"
    has_status = bool(keys & {"status", "event", "eventtype", "action"})
    flags = keys & {"delivered", "opened", "clicked", "bounce", "bouncereason", "notsentreason", "spamreport",
                    "unsubscribed"}
    if "recipient" in keys and len(flags) >= 3 and not has_status:
        return "hubspot"  # the UI export: one row per recipient, one column per outcome
    if keys & {"portalid", "emailcampaignid"} and "recipient" in keys and "type" in keys:
        return "hubspot"  # events API columns
    if {"email", "event"} <= keys and keys & {"sgeventid", "sgmessageid", "smtpid", "bounceclassification"}:
        return "sendgrid"
    if keys >= {"created", "email", "reason", "status"} and not keys & {"event", "eventtype"}:
        return "sendgrid"  # SendGrid's legacy bounce list export
    if len(header) >= 2 or _single_column_of_text(text):
        return "csv"
    return None


def _single_column_of_text(text: str) -> bool:
    lines = [line for line in text.splitlines()[:10] if line.strip()]
    return bool(lines) and all(line.isprintable() for line in lines)
