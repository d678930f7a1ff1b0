"""Cell values → canonical values: timestamps, addresses, SMTP replies, capped text.

Every reader calls these once per row, so they are written for the common case first (an ISO
timestamp, a plain address) and cache what repeats (timestamps to the second, diagnostic texts).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime

from deliverability.bounces.smtp import find_reply_code, find_status

# A cell longer than this is cut; the record says so (esp_labels["truncated"]). Diagnostics
# worth reading are a few hundred characters; a 10 MB cell is hostile or broken.
MAX_CELL_CHARS = 4000
MAX_EMAIL_CHARS = 320  # RFC 3696 erratum: 64 + 1 + 255
_CACHE_LIMIT = 50_000

_UTC = UTC
# Formats seen in spreadsheet and ESP UI exports that datetime.fromisoformat does not read.
# Slashed dates are read month-first (US exports); day-first files need ISO or a mapping.
# Slash dates are read month first by default (the US pattern, and SendGrid's and HubSpot's UI exports);
# a generic CSV file decides its own order from its values (csv_generic.slash_order), else from the
# organisation's zone: month first only where that is the local short-date pattern (CLDR short dates:
# en-US and es-US "M/d/yy", en-PH "M/d/yy"); d/M/y everywhere else that writes slashes (es, ca, fr, en-GB…).
MONTH_FIRST_SLASH = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
                     "%m/%d/%y %H:%M:%S", "%m/%d/%y %H:%M", "%m/%d/%y")
DAY_FIRST_SLASH = tuple(f.replace("%m/%d/", "%d/%m/") for f in MONTH_FIRST_SLASH)
_MONTH_FIRST_ZONES = ("US/", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
                      "America/Phoenix", "America/Anchorage", "America/Juneau", "America/Sitka", "America/Metlakatla",
                      "America/Yakutat", "America/Nome", "America/Adak", "America/Boise", "America/Detroit",
                      "America/Menominee", "America/Indiana/", "America/Kentucky/", "America/North_Dakota/",
                      "America/Puerto_Rico", "Pacific/Honolulu", "Asia/Manila")


def day_first_in(zone_name: str) -> bool:
    """Whether people in this time zone write slash dates day first (02/11/2026 = 2 November). UTC and the
    Etc/ zones say nothing about where people are: month first there, as parse_timestamp reads them."""
    if zone_name in ("UTC", "GMT", "Etc/UTC", "Etc/GMT", "Universal", "Zulu") or zone_name.startswith("Etc/"):
        return False
    return not zone_name.startswith(_MONTH_FIRST_ZONES)


_FALLBACK_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%B %d, %Y %I:%M %p",
    "%Y-%m-%d %H:%M:%S %Z",
)

# Emptied when full, never replaced: the look-ups below stay bound to them.
_timestamp_cache: dict[str, datetime] = {}
_reply_cache: dict[str, tuple[int | None, str | None]] = {}


def timestamp_lookup() -> Callable[[str], datetime | None]:
    """The look-up half of ``parse_timestamp``'s cache: the time a cell was already read as, else None.

    For per-row loops over million-row files, where one Python call per cell shows: look up first,
    call ``parse_timestamp`` on a miss (which fills the cache)."""
    return _timestamp_cache.get


def reply_lookup() -> Callable[[str], tuple[int | None, str | None] | None]:
    """The look-up half of ``split_reply``'s cache: (reply code, enhanced status) already found in a
    text, else None. Same use as ``timestamp_lookup``."""
    return _reply_cache.get


def parse_timestamp(value: str | int | float | None) -> datetime | None:
    """A timezone-aware datetime from ISO 8601, RFC 2822, epoch seconds or milliseconds.

    Empty → None. Naive times are taken as UTC (ESP exports are UTC unless they say otherwise).
    Raises ValueError when the value is not a time we can read.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=_UTC)
    if isinstance(value, bool):
        raise ValueError("not a time")
    cached = _timestamp_cache.get(value) if isinstance(value, (str, int, float)) else None
    if cached is not None:
        return cached
    if isinstance(value, (int, float)):
        parsed = _from_epoch(float(value))
        if len(_timestamp_cache) >= _CACHE_LIMIT:
            _timestamp_cache.clear()
        _timestamp_cache[value] = parsed
        return parsed
    if not isinstance(value, str):
        raise ValueError("not a time")
    text = value.strip()
    if not text:
        return None
    if len(text) > 64:
        raise ValueError("timestamp too long")
    parsed = _parse_text_timestamp(text)
    if len(_timestamp_cache) >= _CACHE_LIMIT:
        _timestamp_cache.clear()
    _timestamp_cache[value] = parsed
    return parsed


def _parse_text_timestamp(text: str) -> datetime:
    parsed = _parse_text(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)


def wall_clock_in(moment: datetime, zone: tzinfo) -> datetime:
    """The UTC moment of ``moment``'s wall-clock time (read as UTC from a text naming no zone) in ``zone``: a
    local time the file or the user says is in ``zone`` (records carry UTC)."""
    return datetime.combine(moment.date(), moment.time(), tzinfo=zone).astimezone(_UTC)


def states_zone(value: str) -> bool | None:
    """Whether a time cell says which zone it is in: True for an offset, a zone or epoch seconds (UTC by
    definition), False for a naive time (read as UTC by parse_timestamp), None when it is not a time."""
    text = value.strip()
    if not text or len(text) > 64:
        return None
    try:
        return _parse_text(text).tzinfo is not None
    except ValueError:
        return None


def _parse_text(text: str) -> datetime:
    """The time a text names, naive when the text names no zone; ValueError when it is not a time."""
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":  # the common case: ISO 8601
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return parsed
    first = text[0]
    if first.isdigit() or first == "-":
        # Bare digits are epoch seconds (10 digits today) or milliseconds (13); 8 digits is 20240501.
        if (text.isdigit() and len(text) >= 9) or (not text.isdigit() and _is_number(text)):
            return _from_epoch(float(text))
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed
    if "," in text[:5] or first.isalpha():
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return parsed
    for fmt in _FALLBACK_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed
    raise ValueError(f"unreadable timestamp {text[:40]!r}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return "e" not in text.lower() and text.count("-") <= 1


def _from_epoch(number: float) -> datetime:
    if number != number or number < 0:  # NaN or negative
        raise ValueError("not a time")
    if number > 1e11:  # milliseconds: 1e11 seconds is the year 5138
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, _UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("timestamp out of range") from exc


def clean_email(value: object) -> str | None:
    """The address as found, trimmed; None when it cannot be an address (the row is then an error).

    A cheap plausibility check only: one ``@`` with something on each side, no spaces, no control
    characters, not absurdly long. The pipeline lower-cases and validates properly.
    """
    if not isinstance(value, str):
        return None
    email = value.strip()
    if email.startswith("<") and email.endswith(">"):
        email = email[1:-1]
    at = email.rfind("@")
    if at < 1 or at == len(email) - 1 or len(email) > MAX_EMAIL_CHARS:
        return None
    if " " in email or "\x00" in email or not email.isprintable():
        return None
    return email


def normalise_email(raw: str) -> tuple[str, str] | None:
    """The address as stored: '  John.Doe@Example.COM ' → ('john.doe@example.com', 'example.com'), or None if not an address."""
    email = raw.strip().strip("<>").lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > 320 or " " in email:
        return None
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return None
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        email = f"{local}@{domain}"
    return email, domain


def monday_of(moment: datetime | None, tz: tzinfo) -> date | None:
    """The Monday (a local date) of the week that holds `moment` in time zone `tz` (the one definition of a week)."""
    if moment is None:
        return None
    return monday_of_day(moment.astimezone(tz).date())


def monday_of_day(day: date) -> date:
    return day - timedelta(days=day.weekday())


def split_reply(text: str | None) -> tuple[int | None, str | None]:
    """(reply code, enhanced status) found in one SMTP response string, e.g. ``550 5.1.1 …``."""
    if not text:
        return None, None
    cached = _reply_cache.get(text)
    if cached is not None:
        return cached
    head = text[:500]
    result = (find_reply_code(head), find_status(head))
    if len(_reply_cache) >= _CACHE_LIMIT:
        _reply_cache.clear()
    _reply_cache[text] = result
    return result


def reply_code_from(value: object) -> int | None:
    """An SMTP reply code (200–599) from a cell or JSON value; anything else → None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        code = int(str(value).strip()[:3]) if not isinstance(value, int) else value
    except ValueError:
        return None
    return code if 200 <= code <= 599 else None


def capped(text: object, labels: dict[str, str] | None = None, name: str = "text") -> str | None:
    """``text`` as a string no longer than MAX_CELL_CHARS; a cut is recorded in ``labels``."""
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    if not text:
        return None
    if len(text) > MAX_CELL_CHARS:
        if labels is not None:
            labels["truncated"] = f"{name} cut from {len(text):,} to {MAX_CELL_CHARS:,} characters"
        text = text[:MAX_CELL_CHARS]
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text or None


def label(value: object) -> str | None:
    """An ESP label as a short string (labels are shown beside ours, never trusted)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text[:200]
