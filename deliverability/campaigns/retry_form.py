"""The form that takes a failed upload (or one that imported nothing) to a new import: a campaign name,
the format, what each column holds and what each status value means, with a preview of the first rows
as they will be read. Field and status names are shown in the user's words, never our internal codes."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from deliverability import ingest
from deliverability.campaigns import services
from deliverability.campaigns.formats import format_choices
from deliverability.campaigns.models import Upload

# What a column may hold, in words (one entry per way of reading: "smtp_response" reads as "diagnostic").
FIELD_CHOICES = [
    ("email", _("Email address")),
    ("event_type", _("Status (what happened: delivered, bounced…)")),
    ("occurred_at", _("Date and time")),
    ("campaign", _("Campaign name")),
    ("diagnostic", _("Bounce message (the receiving server's reply)")),
    ("reply_code", _("SMTP reply code (such as 550)")),
    ("enhanced_status", _("Enhanced status code (such as 5.1.1)")),
    ("remote_mta", _("Receiving mail server")),
    ("esp_event_id", _("Event ID from the sending platform")),
    ("esp_label", _("The platform's own label (kept beside our reading)")),
    ("ignore", _("Not used")),
]
FIELD_LABELS = dict(FIELD_CHOICES)
# The fields one column at most may hold.
SINGLE_FIELDS = {value for value, _label in FIELD_CHOICES} - {"esp_label", "ignore"}

# What a status value may mean (ingest.STATUS_CHOICES), in words.
STATUS_MEANINGS = [
    ("", _("Not chosen: these rows are skipped")),
    ("delivered", _("Delivered")),
    ("bounce", _("Bounced (refused)")),
    ("deferred", _("Delayed, to be retried")),
    ("dropped", _("Not sent by the platform")),
    ("suppressed", _("Not sent: on the platform's suppression list")),
    ("open", _("Opened")),
    ("click", _("Clicked")),
    ("complaint", _("Marked as spam by the recipient")),
    ("unsubscribe", _("Unsubscribed")),
    ("ignore", _("Not an outcome: leave these rows out")),
]
STATUS_LABELS = dict(STATUS_MEANINGS)
assert {value for value, _label in STATUS_MEANINGS if value} == set(ingest.STATUS_CHOICES)


@dataclass
class PreviewRow:
    row: int
    email: str = ""
    status: str = ""
    when: str = ""
    campaign: str = ""
    reply: str = ""
    problem: str = ""


class RetryForm(forms.Form):
    """Campaign and format always; per column and per status value when the file is a CSV (``survey``)."""

    campaign = forms.CharField(
        max_length=300, required=False, label=_("Campaign name"),
        help_text=_("For rows that do not name a campaign (leave empty if the file has a campaign column)."))
    format = forms.ChoiceField(label=_("Read the file as"), choices=(), required=False)

    def __init__(self, *args, upload: Upload, survey: ingest.Survey | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload = upload
        self.survey = survey
        self.fields["format"].choices = format_choices()
        self.fields["format"].initial = upload.requested_format
        self.fields["campaign"].initial = upload.campaign.name if upload.campaign_id else ""
        read = ((upload.summary or {}).get("dates") or {}).get("dates")
        if read:  # the file has slash dates: say how to read them
            example = read.get("example", "")
            self.fields["dates"] = forms.ChoiceField(
                label=_("Dates such as %(example)s are written") % {"example": example}, required=False,
                choices=[("", _("As the file's dates show, else as in the organisation's time zone")),
                         ("day_first", _("Day first (02/11/2026 is 2 November 2026)")),
                         ("month_first", _("Month first (02/11/2026 is 11 February 2026)"))],
                initial=services.date_order_of(upload.column_mapping) or "")
        read = (upload.summary or {}).get("dates") or {}
        if read.get("times_without_zone") or read.get("times_local"):  # times that name no zone: UTC, or local?
            zone = upload.organization.timezone
            self.fields["times"] = forms.ChoiceField(
                label=_("Times that name no time zone are"), required=False,
                choices=[("", _("UTC (as ESP exports write them)")),
                         ("local", _("Local time in the organisation's time zone (%(zone)s)") % {"zone": zone})],
                initial="local" if services.local_times_of(upload.column_mapping) else "")
        if survey is None:
            return
        for column in survey.columns:
            self.fields[f"map_{column.index}"] = forms.ChoiceField(
                choices=FIELD_CHOICES, label=column.header, required=False,
                initial=survey.mapping.get(column.header, "ignore"))
        for j, (value, _rows, meaning) in enumerate(survey.status_values):
            self.fields[f"status_{j}"] = forms.ChoiceField(choices=STATUS_MEANINGS, required=False, label=value,
                                                           initial=meaning or "")
            self.fields[f"status_value_{j}"] = forms.CharField(widget=forms.HiddenInput, initial=value, required=False)

    def column_rows(self) -> list[dict]:
        """Per column: its name, first values, the guess in words, and its select."""
        if self.survey is None:
            return []
        return [{"column": c, "field": self[f"map_{c.index}"], "guess": FIELD_LABELS.get(c.guess, c.guess)}
                for c in self.survey.columns]

    def status_rows(self) -> list[dict]:
        if self.survey is None:
            return []
        return [{"value": value, "rows": rows, "field": self[f"status_{j}"], "hidden": self[f"status_value_{j}"],
                 "known": bool(meaning)} for j, (value, rows, meaning) in enumerate(self.survey.status_values)]

    def mapping(self) -> dict[str, str] | None:
        """header → field as posted (None without a survey)."""
        if self.survey is None:
            return None
        return {c.header: self.cleaned_data.get(f"map_{c.index}") or "ignore" for c in self.survey.columns}

    def status_values(self) -> dict[str, str] | None:
        """value → meaning as posted, for the values the user gave a meaning."""
        if self.survey is None:
            return None
        found = {}
        for j in range(len(self.survey.status_values)):
            value, meaning = self.cleaned_data.get(f"status_value_{j}") or "", self.cleaned_data.get(f"status_{j}")
            if value and meaning:
                found[value] = meaning
        return found

    def clean(self):
        data = super().clean()
        mapping = self.mapping() if self.survey is not None else None
        if mapping is not None:
            chosen = [field for field in mapping.values() if field in SINGLE_FIELDS]
            twice = sorted({f for f in chosen if chosen.count(f) > 1}, key=chosen.index)
            for field in twice:
                self.add_error(None, gettext("“%(what)s” is chosen for more than one column; choose it once.")
                               % {"what": FIELD_LABELS[field]})
            if "email" not in chosen:
                self.add_error(None, gettext("Choose the column that holds the email addresses."))
        return data


def posted_statuses(post) -> dict[str, str]:
    """The status meanings a posted form carried (value → meaning), whatever column they came from."""
    found = {}
    for key, value in post.items():
        if key.startswith("status_value_") and value:
            meaning = post.get("status_" + key.removeprefix("status_value_"), "")
            if meaning in ingest.STATUS_CHOICES:
                found[value[:200]] = meaning
    return found


def posted_mapping(post, headers: list[str]) -> dict[str, str]:
    allowed = set(FIELD_LABELS)
    return {header: post.get(f"map_{i}") for i, header in enumerate(headers) if post.get(f"map_{i}") in allowed}


def survey_of(upload: Upload, mapping: dict | None = None, statuses: dict | None = None,
              max_rows: int = 20_000) -> ingest.Survey | None:
    """The upload's CSV layout as the page shows it (its first ``max_rows`` rows read; 0: the header only),
    or None when the file is not a CSV we can read."""
    if (upload.detected_format or upload.requested_format) != "csv":
        return None
    try:
        return ingest.survey_csv(upload.file.path, mapping if mapping is not None else services.columns_of(
            upload.column_mapping), statuses if statuses is not None else services.statuses_of(upload.column_mapping),
            max_rows=max_rows)
    except (OSError, UnicodeError, ValueError):
        return None


def preview(upload: Upload, mapping: dict[str, str] | None, statuses: dict[str, str] | None, campaign: str,
            rows: int = 6, date_order: str | None = None, local_times: bool = False) -> tuple[list[PreviewRow], str]:
    """The first rows as the import will read them with this mapping (and ``date_order``, "day_first" or
    "month_first", when the user chose one; ``local_times``: zone-less times are the organisation's local
    time, and are shown in it), and the file's refusal (or "")."""
    day_first, forced = services.date_reading(upload, date_order)
    zone = upload.organization.tzinfo
    try:
        items = list(islice(ingest.read_records(upload.file.path, "csv", mapping=mapping, status_values=statuses,
                                                day_first=day_first, day_first_forced=forced, zone=zone,
                                                local_times=local_times), rows))
    except ingest.UnsupportedFormat as exc:
        return [], str(exc).replace(upload.sha256, upload.original_name)
    except (OSError, UnicodeError, ValueError):
        return [], gettext("The file cannot be read.")
    shown = []
    for item in items:
        if isinstance(item, ingest.RowError):
            shown.append(PreviewRow(item.row, problem=item.message))
            continue
        reply = " ".join(str(p) for p in (item.reply_code, item.enhanced_status) if p)
        if item.diagnostic:
            reply = item.diagnostic[:120] if not reply or item.diagnostic.startswith(reply) else f"{reply} · {item.diagnostic[:100]}"
        named = item.campaign or campaign.strip()
        shown.append(PreviewRow(
            item.row, email=item.email, status=str(STATUS_LABELS.get(item.event_type, item.event_type)),
            when=(item.occurred_at.astimezone(zone) if local_times else item.occurred_at).strftime("%Y-%m-%d %H:%M")
            if item.occurred_at else "",
            campaign=named, reply=reply,
            problem="" if named else gettext("no campaign: name one above")))
    return shown, ""
