"""Canonical records: the one shape every format reader yields.

Readers are pure Python (no Django). The import pipeline in ``campaigns`` consumes
these records, whatever file they came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

EVENT_TYPES = (
    "delivered",
    "bounce",
    "deferred",
    "dropped",
    "suppressed",
    "open",
    "click",
    "complaint",
    "unsubscribe",
)
# Outcomes of a send attempt; the remaining types are engagement or list events.
SEND_OUTCOMES = ("delivered", "bounce", "deferred", "dropped", "suppressed")


@dataclass(slots=True)
class Record:
    """One event about one recipient, as found in the source file."""

    row: int  # 1-based row / record number in the source, for error messages
    email: str  # as found; the pipeline lower-cases and validates it
    event_type: str  # one of EVENT_TYPES
    occurred_at: datetime | None = None  # timezone-aware
    campaign: str | None = None  # campaign name when the source names one
    esp_event_id: str | None = None
    reply_code: int | None = None  # 550
    enhanced_status: str | None = None  # "5.1.1"
    diagnostic: str | None = None  # the receiving server's text, untrusted
    remote_mta: str | None = None
    esp_labels: dict[str, str] = field(default_factory=dict)  # raw ESP labels (hard/soft, class…)
    sent_count: int | None = None  # a campaign's total sends when the source states it


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
