"""Postmark: the bounces API (``{"TotalCount": n, "Bounces": […]}``) and webhooks.

Facts (formats.md §1.4, ActiveCampaign/postmark.js Bounce.ts): a bounce has ``Type``/``TypeCode``,
``Details`` (the receiving server's text), ``Description`` (Postmark's sentence), ``Inactive``,
``Email``, ``BouncedAt``. Webhooks add RecordType Delivery, Open, Click, SpamComplaint,
SubscriptionChange.

Echoes: ``Inactive`` is set on the very bounce that made Postmark deactivate the address (see the
API examples: a HardBounce with Inactive true), so it does NOT mark an echo by itself and is kept
as a label; reading it as ``suppressed`` would hide every real Postmark hard bounce. Postmark's
echo is the SubscriptionChange webhook with SuppressSending and reason HardBounce or
SpamComplaint: that is stored as ``suppressed`` — counting it as a bounce would count the bounce,
which arrives as its own record, twice. A SubscriptionChange with SuppressSending false is a
reactivation or resubscription: nothing stored.

Identity: a Postmark ``ID`` names a bounce, but IDs repeat across record types (a Delivery, an Open and
a Bounce are numbered apart), so it is never the identity alone (kept as the ``ID`` label: the bounce
API reactivates by it). Every record's identity is (MessageID, event type, recipient, time), see
esp.event_identity, the same for the bounces API export and the webhook.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .esp import first, note_skip, read_entries, record
from .records import Record, RowError
from .textio import Peeked

# Bounce Type → our event type; None = not a delivery outcome (skipped).
_BOUNCE_TYPES: dict[str, str | None] = {
    "hardbounce": "bounce", "softbounce": "bounce", "blocked": "bounce", "bademailaddress": "bounce",
    "unknown": "bounce", "dnserror": "bounce", "spamnotification": "bounce", "dmarcpolicy": "bounce",
    "virusnotification": "bounce",
    "transient": "deferred",
    "spamcomplaint": "complaint",
    "unsubscribe": "unsubscribe",
    "manuallydeactivated": "dropped", "unconfirmed": "dropped", "smtpapierror": "dropped",
    "inbounderror": "dropped", "templaterenderingfailed": "dropped",
    "autoresponder": None, "addresschange": None, "challengeverification": None, "subscribe": None,
    "openrelaytest": None,
}
_TYPE_CODES = {
    1: "HardBounce", 2: "Transient", 16: "Unsubscribe", 32: "Subscribe", 64: "AutoResponder",
    128: "AddressChange", 256: "DnsError", 512: "SpamNotification", 1024: "OpenRelayTest",
    2048: "Unknown", 4096: "SoftBounce", 8192: "VirusNotification", 16384: "ChallengeVerification",
    100000: "BadEmailAddress", 100001: "SpamComplaint", 100002: "ManuallyDeactivated",
    100003: "Unconfirmed", 100006: "Blocked", 100007: "SMTPApiError", 100008: "InboundError",
    100009: "DMARCPolicy", 100010: "TemplateRenderingFailed",
}


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    return read_entries(peeked, ("Bounces",), entry_record, skipped)


def entry_record(row: int, entry: dict[str, Any], skipped: Counter | None) -> Record | RowError | None:
    kind = str(entry.get("recordtype") or "Bounce").lower()
    labels = {"tag": entry.get("tag"), "messageStream": entry.get("messagestream")}
    if kind in ("bounce", "spamcomplaint"):
        type_name = str(entry.get("type") or _TYPE_CODES.get(_int(entry.get("typecode")), "") or "")
        event_type = _BOUNCE_TYPES.get(type_name.lower(), "bounce" if type_name else None)
        if kind == "spamcomplaint":
            event_type = "complaint"
        if event_type is None:
            if type_name:
                note_skip(skipped, f"Postmark {type_name} (not a delivery failure)")
                return None
            return RowError(row, "Postmark record without a bounce Type")
        labels.update({"ID": entry.get("id"), "Type": type_name, "TypeCode": entry.get("typecode"),
                       "Name": entry.get("name"),
                       "Description": entry.get("description"), "Inactive": entry.get("inactive"),
                       "CanActivate": entry.get("canactivate")})
        return record(row, first(entry, "email", "recipient"), event_type,
                      occurred_at=first(entry, "bouncedat", "receivedat"),
                      message_id=entry.get("messageid"), diagnostic=entry.get("details"), labels=labels)
    if kind == "delivery":
        return record(row, first(entry, "recipient", "email"), "delivered",
                      occurred_at=entry.get("deliveredat"),
                      message_id=entry.get("messageid"), diagnostic=entry.get("details"),
                      labels=labels)
    if kind in ("open", "click"):
        return record(row, first(entry, "recipient", "email"), kind,
                      occurred_at=first(entry, "receivedat"),
                      message_id=entry.get("messageid"), labels=labels)
    if kind == "subscriptionchange":
        reason = str(entry.get("suppressionreason") or "")
        if entry.get("suppresssending") is not True:
            note_skip(skipped, "Postmark SubscriptionChange (reactivation)")
            return None
        event_type = "suppressed" if reason.lower() in ("hardbounce", "spamcomplaint") else "unsubscribe"
        labels["SuppressionReason"] = reason
        return record(row, first(entry, "recipient", "email"), event_type,
                      occurred_at=entry.get("changedat"),
                      message_id=entry.get("messageid"), labels=labels)
    return RowError(row, f"unknown Postmark RecordType {str(entry.get('recordtype'))[:40]!r}")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
