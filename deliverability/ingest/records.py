"""Canonical records: the one shape every format reader yields.

Readers are pure Python (no Django). The import pipeline in ``campaigns`` consumes
these records, whatever file they came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deliverability.choices import LabelledStrEnum, gettext_noop


class EventType(LabelledStrEnum):
    """What happened to one recipient, as every reader reports it (and ``Event.type`` stores it)."""

    DELIVERED = "delivered", gettext_noop("Delivered"), True
    BOUNCE = "bounce", gettext_noop("Bounce"), True
    DEFERRED = "deferred", gettext_noop("Deferred"), True
    DROPPED = "dropped", gettext_noop("Dropped"), True
    SUPPRESSED = "suppressed", gettext_noop("Suppressed"), True
    OPEN = "open", gettext_noop("Open"), False
    CLICK = "click", gettext_noop("Click"), False
    COMPLAINT = "complaint", gettext_noop("Complaint"), False
    UNSUBSCRIBE = "unsubscribe", gettext_noop("Unsubscribe"), False

    send_outcome: bool  # the outcome of a send attempt; the others are engagement or list events

    def __init__(self, value: str, label: str, send_outcome: bool) -> None:
        self.send_outcome = send_outcome


EVENT_TYPES: tuple[EventType, ...] = tuple(EventType)
SEND_OUTCOMES: tuple[EventType, ...] = tuple(kind for kind in EventType if kind.send_outcome)


@dataclass(slots=True)
class Record:
    """One event about one recipient, as found in the source file."""

    row: int  # 1-based row / record number in the source, for error messages
    email: str  # as found; the pipeline lower-cases and validates it
    event_type: str  # an EventType
    occurred_at: datetime | None = None  # timezone-aware
    campaign: str | None = None  # campaign name when the source names one
    esp_event_id: str | None = None
    reply_code: int | None = None  # 550
    enhanced_status: str | None = None  # "5.1.1"
    diagnostic: str | None = None  # the receiving server's text, untrusted
    remote_mta: str | None = None
    esp_labels: dict[str, str] = field(default_factory=dict)  # raw ESP labels (hard/soft, class…)
    sent_count: int | None = None  # a campaign's total sends when the source states it
    # The ESP reported an event for an address that is not one (SendGrid drops ``invalid@invalid``): kept
    # as given so the client sees it, stored as ``dropped`` (ingest/esp.py), never a row error.
    address_invalid: bool = False


@dataclass(slots=True)
class RowError:
    """A row that could not be read; the import reports it and goes on."""

    row: int
    message: str


class UnsupportedFormat(ValueError):
    """The file is not one of the formats we read; the message says what was expected."""

# Canonical fields a user may map an unrecognised column to (upload page, --map COLUMN=FIELD).
MAPPABLE_FIELDS = (
    "email",
    "event_type",
    "occurred_at",
    "campaign",
    "esp_event_id",
    "smtp_response",  # one string holding reply code, enhanced status and text
    "reply_code",
    "enhanced_status",
    "diagnostic",
    "remote_mta",
    "esp_label",
    "ignore",
)
