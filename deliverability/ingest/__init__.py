"""Format readers: an uploaded file → a stream of canonical records (pure Python, no Django).

    fmt = detect_format(path)                       # "csv", "sendgrid", "zip", …
    for item in read_records(path, fmt, mapping):   # Record | RowError, streaming
        ...

``read_records`` raises ``UnsupportedFormat`` (one sentence for the user) when the file is not a
format we read, and its subclass ``ColumnMappingNeeded`` when a CSV needs the user to say which
column holds the email or status. Everything else — a bad row, a bad zip member, a truncated
file — is a ``RowError`` in the stream; the good records around it are still yielded.

Row numbers: CSV rows as a spreadsheet shows them (header = row 1), JSON records and emails
counted from 1; ``RowError.row == 0`` means a whole zip member (its name starts the message).

Events that are not ours to store (SendGrid ``processed``, SES ``Send``, Mailgun ``accepted``,
auto-replies in bounce mailboxes…) yield nothing; pass a ``collections.Counter`` as ``skipped``
to learn how many of each were passed over and why.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import tzinfo
from functools import partial
from pathlib import Path

from . import brevo, csv_generic, dsn, hubspot, mailchimp, mailgun, mailjet, postmark, sendgrid, ses, sparkpost, zipped
from .csv_generic import STATUS_CHOICES, ColumnMappingNeeded, Survey
from .detect import TRIED, detect_sample
from .records import EVENT_TYPES, MAPPABLE_FIELDS, EventType, Record, RowError, UnsupportedFormat
from .textio import Peeked

FORMATS = ("csv", "dsn", "mailchimp", "hubspot", "sendgrid", "ses", "mailgun", "postmark", "sparkpost", "mailjet", "brevo", "zip")

# Readers of one stream; "dsn" and "zip" also have path readers (folders, mbox, archives).
STREAM_READERS = {
    "csv": csv_generic.read,
    "dsn": dsn.read,
    "mailchimp": mailchimp.read,
    "hubspot": hubspot.read,
    "sendgrid": sendgrid.read,
    "ses": ses.read,
    "mailgun": mailgun.read,
    "postmark": postmark.read,
    "sparkpost": sparkpost.read,
    "mailjet": mailjet.read,
    "brevo": brevo.read,
}

__all__ = [
    "EVENT_TYPES",
    "EventType",
    "FORMATS",
    "MAPPABLE_FIELDS",
    "STATUS_CHOICES",
    "ColumnMappingNeeded",
    "Survey",
    "Record",
    "RowError",
    "UnsupportedFormat",
    "detect_format",
    "read_records",
    "survey_csv",
]


def detect_format(path: str | Path) -> str:
    """The format of the file (or folder of bounce emails) at ``path``, judged by its content."""
    path = Path(path)
    if path.is_dir():
        return "dsn"
    try:
        with open(path, "rb") as handle:
            return detect_sample(Peeked(handle).sample, path.name)
    except OSError as exc:
        raise UnsupportedFormat(f"The file {path.name!r} cannot be read ({exc.strerror}); expected {TRIED}.") from exc


def read_records(
    path: str | Path,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    *,
    skipped: Counter | None = None,
    max_unpacked_bytes: int | None = None,
    status_values: dict[str, str] | None = None,
    day_first: bool = False,
    day_first_forced: bool = False,
    notes: dict | None = None,
    zone: tzinfo | None = None,
    local_times: bool = False,
) -> Iterator[Record | RowError]:
    """Stream the records of the file at ``path``; constant memory whatever its size.

    ``max_unpacked_bytes``: the most a zip may unpack to (the upload limit; see zipped.read_path).
    ``status_values``: the user's meaning of a CSV's status values (csv_generic.read).
    ``day_first``, ``notes``: a CSV's slash dates when its values do not tell their order, and what was
    decided about its dates (csv_generic.read_dates), and whether times were read in ``zone`` (the
    organisation's: where a file says its times are the user's local time, HubSpot's UI export, or where the
    user says a CSV's zone-less times are local: ``local_times``)."""
    path = Path(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise UnsupportedFormat(f"Unknown format {fmt!r}; use auto or one of: {', '.join(FORMATS)}.")
    if path.is_dir():
        if fmt not in ("auto", "dsn"):
            raise UnsupportedFormat(f"{path.name!r} is a folder; only raw bounce emails can be read from a folder.")
        return dsn.read_path(path, skipped=skipped)
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "zip":
        return zipped.read_path(path, mapping=mapping, skipped=skipped, max_total_bytes=max_unpacked_bytes,
                                status_values=status_values, day_first=day_first,
                                day_first_forced=day_first_forced, notes=notes, zone=zone, local_times=local_times)
    if fmt == "dsn":
        return dsn.read_path(path, skipped=skipped)
    handle = open(path, "rb")  # noqa: SIM115 - closed by _closing when the records are done
    try:
        reader = stream_reader(fmt, status_values=status_values, day_first=day_first,
                               day_first_forced=day_first_forced, notes=notes, zone=zone, local_times=local_times)
        records = reader(Peeked(handle, path.name), mapping=mapping, skipped=skipped)
    except BaseException:
        handle.close()
        raise
    return _closing(records, handle)


def stream_reader(fmt: str, *, status_values: dict[str, str] | None = None, day_first: bool = False,
                  day_first_forced: bool = False, notes: dict | None = None, zone: tzinfo | None = None,
                  local_times: bool = False):
    """The reader of one stream of format ``fmt`` (a file, or a zip's member) with the options it reads (see
    read_records): a CSV its status values, dates and local times; HubSpot the zone of its "Your time zone"
    times; each reports how it read its times in ``notes``. Raw bounce emails for a format without a stream reader."""
    reader = STREAM_READERS.get(fmt, dsn.read)
    if fmt == "csv":
        return partial(reader, status_values=status_values, day_first=day_first, day_first_forced=day_first_forced,
                       notes=notes, local_zone=zone if local_times else None)
    if fmt == "hubspot":
        return partial(reader, zone=zone, notes=notes)
    return reader


def _closing(records: Iterator[Record | RowError], handle) -> Iterator[Record | RowError]:
    with handle:
        yield from records


def survey_csv(path: str | Path, mapping: dict[str, str] | None = None, status_values: dict[str, str] | None = None,
               max_rows: int = 20_000) -> Survey:
    """The columns of the CSV file at ``path`` and the values of its status column (csv_generic.survey)."""
    with open(path, "rb") as handle:
        return csv_generic.survey(Peeked(handle, Path(path).name), mapping, status_values, max_rows)
