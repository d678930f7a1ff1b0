"""Mailchimp: audience exports (cleaned / unsubscribed / subscribed CSVs, alone or in Mailchimp's
zip) and the Marketing API's email-activity report JSON.

Facts (formats.md §1.7): the cleaned file lists addresses Mailchimp removed after a hard bounce or
repeated soft bounces, with ``CLEAN_TIME`` and ``CLEAN_CAMPAIGN_TITLE``; the unsubscribed file has
``UNSUB_TIME``, ``UNSUB_CAMPAIGN_TITLE``, ``UNSUB_REASON``. These exports carry **no SMTP code or
text**: every record says so in ``esp_labels["note"]`` and only domain-level analysis is possible.
The subscribed file holds no events; its rows are skipped (counted in ``skipped``).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .esp import as_list, first, note_skip, read_entries, record
from .records import Record, RowError
from .textio import Peeked

NO_SMTP_NOTE = "Mailchimp exports carry no SMTP code or text; analysis is by recipient domain only"
_ACTIONS = {"bounce": "bounce", "open": "open", "click": "click"}


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    return read_entries(peeked, ("emails",), entry_records, skipped)


def entry_records(row: int, entry: dict[str, Any], skipped: Counter | None):
    """A member of an audience export, or one address of the email-activity report."""
    if "activity" in entry:
        return activity_records(row, entry, skipped)
    return member_record(row, entry, skipped)


def member_record(row: int, member: dict[str, Any], skipped: Counter | None) -> Record | RowError | None:
    email = first(member, "emailaddress", "email")
    labels: dict[str, Any] = {"note": NO_SMTP_NOTE}
    if "cleantime" in member:
        labels.update({"list": "cleaned", "clean_campaign_id": member.get("cleancampaignid")})
        return record(row, email, "bounce", occurred_at=member.get("cleantime"),
                      campaign=member.get("cleancampaigntitle"), labels=labels)
    if "unsubtime" in member:
        labels.update({"list": "unsubscribed", "unsub_reason": member.get("unsubreason"),
                       "unsub_campaign_id": member.get("unsubcampaignid")})
        return record(row, email, "unsubscribe", occurred_at=member.get("unsubtime"),
                      campaign=member.get("unsubcampaigntitle"), labels=labels)
    note_skip(skipped, "Mailchimp subscribed member (no event)")
    return None


def activity_records(row: int, entry: dict[str, Any], skipped: Counter | None) -> Iterator[Record | RowError]:
    email = first(entry, "emailaddress", "email")
    for activity in as_list(entry.get("activity")):
        if not isinstance(activity, dict):
            continue
        action = str(activity.get("action") or "").lower()
        event_type = _ACTIONS.get(action)
        if event_type is None:
            note_skip(skipped, f"Mailchimp activity {action[:20]!r}")
            continue
        labels = {"note": NO_SMTP_NOTE, "type": activity.get("type"),
                  "campaign_id": entry.get("campaign_id") or entry.get("campaignid")}
        yield record(row, email, event_type, occurred_at=activity.get("timestamp"), labels=labels)
