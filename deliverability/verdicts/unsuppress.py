"""ESP un-suppression files: the recovery list in the form each ESP needs to lift its suppression.

Pure Python (no Django). The input is, per bounced recipient of a campaign, its effective verdict
(an override wins), the campaign's stored events (type, ESP, ESP event id, ESP labels as the
readers in ``deliverability.ingest`` store them) and the recipient's complaint / unsubscribe /
suppression events from the organisation's other campaigns. The output is a plan per ESP (which
address goes on which ESP list, with the ESP's own id where the ESP needs one), the addresses
left out and why, and the file builders.

The rules, in order (tests in tests/verdicts/test_unsuppress.py assert each):
1. Only a verdict that keeps the address (``KEEP_VERDICTS``: filter rejection, sender issue,
   temporary) is ever proposed. An invalid recipient or an unknown verdict is never lifted.
2. An address that complained or unsubscribed — in this campaign or any other, as an event of
   its own or as the reason an ESP gave for a drop or a suppression — is never lifted, whatever
   its verdict: those suppressions are the recipient's decision, not a delivery failure.
3. An address goes on an ESP's list only when a stored event of that ESP says the ESP suppressed
   it (per-ESP rules in ``_ESP_RULES``, with their sources). An address whose events name no ESP
   (generic CSV, DSN files) is counted, not exported: the plain recovery list covers it.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Any
from urllib.parse import quote

from .exports import safe_cell
from .vocabulary import KEEP_VERDICTS, VerdictKind

SENDGRID, MAILGUN, POSTMARK, SES, MAILCHIMP, HUBSPOT = "sendgrid", "mailgun", "postmark", "ses", "mailchimp", "hubspot"
ESPS: tuple[str, ...] = (SENDGRID, MAILGUN, POSTMARK, SES, MAILCHIMP, HUBSPOT)
ESP_NAMES = {SENDGRID: "SendGrid", MAILGUN: "Mailgun", POSTMARK: "Postmark", SES: "Amazon SES",
             MAILCHIMP: "Mailchimp", HUBSPOT: "HubSpot"}

# Why a suppressed address is not proposed (codes; the page words them).
EXCLUDED_INVALID = "invalid_recipient"
EXCLUDED_UNKNOWN = "unknown_verdict"
EXCLUDED_COMPLAINT = "complaint_or_unsubscribe"
# Why an address that should be lifted cannot be put in the ESP's file (codes; the page words them).
MISSING_BOUNCE_ID = "no_bounce_id"  # Postmark reactivates a bounce by its ID, and the stored event has none
CANNOT_ACTIVATE = "cannot_activate"  # Postmark said CanActivate false for this bounce
SES_GLOBAL_LIST = "ses_global_list"  # SES's global list: no customer action removes an address from it
HUBSPOT_GLOBAL = "hubspot_global_bounce"  # HubSpot's global bounce: no account can unbounce it


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored event, as much of it as the rules read."""

    type: str  # an ingest EventType value
    esp: str = ""  # one of ESPS, or "" when the file named no ESP
    esp_event_id: str | None = None
    labels: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A recipient with a verdict in the campaign, its events there, and its history elsewhere."""

    email: str
    verdict: str
    events: Sequence[StoredEvent]
    history: Sequence[StoredEvent] = ()  # the recipient's events in the organisation's other campaigns


@dataclass(frozen=True, slots=True)
class Entry:
    """One address on one ESP list, with the ESP's id for it when the ESP's call needs one."""

    email: str
    list: str  # the ESP list it comes off: bounces, blocks, suppression_list, reactivate, cleaned, bounced
    esp_id: str = ""  # Postmark's bounce ID
    detail: str = ""  # what the ESP said (HubSpot's bounce category, SES's sub-type…), for the CSV


@dataclass(slots=True)
class EspPlan:
    esp: str
    entries: list[Entry] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (email, MISSING_* code)

    def emails(self, list_name: str | None = None) -> list[str]:
        """Distinct addresses (of one list, or all), sorted."""
        return sorted({e.email for e in self.entries if list_name is None or e.list == list_name})

    @property
    def lists(self) -> dict[str, int]:
        """Addresses per ESP list."""
        return {name: len(self.emails(name)) for name in dict.fromkeys(e.list for e in self.entries)}

    @property
    def count(self) -> int:
        return len(self.emails())


@dataclass(slots=True)
class RecoveryPlan:
    esps: dict[str, EspPlan]
    excluded: Counter  # EXCLUDED_* code → addresses an ESP suppressed that are never proposed
    without_esp: int = 0  # addresses to keep whose suppression came from a file that named no ESP
    # The addresses rule 2 left out (sorted): the stored plan keeps them, so that an update for a few addresses
    # can tell what the plan said of each (verdicts.recovery.update_plan).
    complained: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len({e.email for plan in self.esps.values() for e in plan.entries})


# --- Which ESP a stored event came from ---------------------------------------------------------

_ESP_ALIASES = {
    "sendgrid": SENDGRID, "twiliosendgrid": SENDGRID,
    "mailgun": MAILGUN, "sinchmailgun": MAILGUN,
    "postmark": POSTMARK, "postmarkapp": POSTMARK,
    "ses": SES, "amazonses": SES, "awsses": SES, "amazonsimpleemailservice": SES,
    "mailchimp": MAILCHIMP, "intuitmailchimp": MAILCHIMP,
    "hubspot": HUBSPOT,
}


def esp_from_name(name: str | None) -> str:
    """One of ESPS from a reader's name (the upload's detected format) or a campaign's free-text
    ESP ("SendGrid", "Amazon SES"…), or "" when it names none of them."""
    key = re.sub(r"[^a-z]", "", (name or "").lower())
    return _ESP_ALIASES.get(key, "")


# --- Rule 2: complaints and unsubscribes --------------------------------------------------------

# Drop and suppression reasons that mean the recipient complained or unsubscribed, per ESP:
# SendGrid dropped reasons "Spam Reporting Address", "Unsubscribed Address" (formats.md §1.2);
# Mailgun failed reasons suppress-complaint, suppress-unsubscribe (formats.md §1.3); Postmark
# SubscriptionChange SuppressionReason SpamComplaint, ManualSuppression (the recipient's own
# unsubscribe; ActiveCampaign/postmark.js SuppressionReason); HubSpot dropReason PREVIOUS_SPAM,
# PREVIOUSLY_SPAMMED, PREVIOUSLY_UNSUBSCRIBED_MESSAGE / _PORTAL (formats.md §1.7).
_COMPLAINT_REASONS = frozenset({
    "spam reporting address", "unsubscribed address", "suppress-complaint", "suppress-unsubscribe",
    "spamcomplaint", "manualsuppression", "previous_spam", "previously_spammed",
})
_REASON_LABELS = ("reason", "dropReason", "SuppressionReason", "unsub_reason", "bounceSubType", "event")
_REASON_KEYS = frozenset(_REASON_LABELS)


def complained_or_unsubscribed(event: StoredEvent) -> bool:
    """The event says the recipient complained or unsubscribed (rule 2)."""
    if event.type in ("complaint", "unsubscribe"):
        return True
    labels = event.labels
    if not labels:
        return False
    # SES files an address on the suppression list because of a complaint as a complaint
    # notification with complaintSubType OnAccountSuppressionList (awsdocs notification-contents.md);
    # the reader stores it as `suppressed` with the complaint's labels.
    if labels.get("complaintSubType") or labels.get("complaintFeedbackType"):
        return True
    for key, value in labels.items():  # a few labels per event: walk them, not the reason keys
        if value and key in _REASON_KEYS:
            text = str(value).strip().lower()
            if text in _COMPLAINT_REASONS or "unsubscrib" in text or "complain" in text:
                return True
    return False


# --- Rule 3: which ESP list holds the address -----------------------------------------------------

Found = tuple[str, str, str] | tuple[None, str, str]  # (list or None, esp id or MISSING_* code, detail)


def _label(event: StoredEvent, name: str) -> str:
    return str((event.labels or {}).get(name) or "").strip()


def _flag(event: StoredEvent, name: str) -> bool | None:
    """A yes/no label: the readers store "true"/"false"; a JSON true read back by SQLite is 1."""
    text = _label(event, name).lower()
    return True if text in ("true", "1") else False if text in ("false", "0") else None


def _sendgrid(event: StoredEvent) -> Found | None:
    # SendGrid keeps hard bounces on its bounce list and refusals on its block list; a `bounce`
    # event with type=blocked is a block (formats.md §1.2; twilio.com/docs/sendgrid/api-reference/
    # bounces-api/delete-bounces and blocks-api/delete-blocks, which adds "Twilio SendGrid will not
    # suppress future messages to blocked addresses by default"). A `suppressed` event is SendGrid's
    # drop "Bounced Address": the address is on the bounce list.
    if event.type == "bounce":
        return ("blocks" if _label(event, "type").lower() == "blocked" else "bounces"), "", ""
    if event.type == "suppressed":
        return "bounces", "", ""
    return None


def _mailgun(event: StoredEvent) -> Found | None:
    # Mailgun's bounce list holds permanent failures; `suppress-bounce` failures (our `suppressed`)
    # are sends Mailgun refused because the address is on it (mailgun/documentation
    # source/api-suppressions.rst "Bounces"; formats.md §1.3). Complaints and unsubscribes are
    # Mailgun's other two lists: never lifted (rule 2).
    if event.type in ("bounce", "suppressed"):
        return "bounces", "", ""
    return None


_DIGITS = re.compile(r"^[0-9]{1,20}$")


def _postmark_bounce_id(event: StoredEvent) -> str:
    """Postmark's bounce ID: the Bounce record's ``ID`` (postmark.js Bounce.ts), stored as the
    event id by the reader, or as a label by a reader that keeps ``ID`` beside its own identity."""
    for value in ((event.labels or {}).get("BounceID"), (event.labels or {}).get("ID"), event.esp_event_id):
        text = str(value or "").strip()
        if _DIGITS.match(text):
            return text
    return ""


def _postmark(event: StoredEvent) -> Found | None:
    # Postmark deactivates an address on the bounce that carries Inactive=true, and reactivates it
    # with PUT /bounces/{bounceid}/activate when CanActivate is true (postmark.js Bounce.ts and
    # ActivateBounce; formats.md §1.4). A bounce with Inactive false left the address active:
    # nothing to lift. A SubscriptionChange (our `suppressed`) names no bounce ID.
    if event.type == "bounce":
        if _flag(event, "Inactive") is not True:
            return None
        if _flag(event, "CanActivate") is False:
            return None, CANNOT_ACTIVATE, _label(event, "Type")
        bounce_id = _postmark_bounce_id(event)
        if not bounce_id:
            return None, MISSING_BOUNCE_ID, _label(event, "Type")
        return "reactivate", bounce_id, _label(event, "Type")
    if event.type == "suppressed":
        return None, MISSING_BOUNCE_ID, _label(event, "SuppressionReason")
    return None


def _ses(event: StoredEvent) -> Found | None:
    # SES adds an address to the account-level suppression list after a Permanent bounce (or a
    # complaint: rule 2), and reports later sends as bounceSubType OnAccountSuppressionList;
    # sub-type Suppressed is SES's global list, which customers no longer manage (awsdocs
    # notification-contents.md; docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html
    # and lists-and-subscriptions.md).
    sub_type = _label(event, "bounceSubType")
    if event.type == "bounce" and _label(event, "bounceType").lower() == "permanent":
        return "suppression_list", "", sub_type
    if event.type == "suppressed":
        if sub_type.lower() == "suppressed":
            return None, SES_GLOBAL_LIST, sub_type
        return "suppression_list", "", sub_type
    return None


def _mailchimp(event: StoredEvent) -> Found | None:
    # Mailchimp "cleans" an address after a hard bounce (or repeated soft bounces): the cleaned
    # export's rows and the activity report's hard bounces (formats.md §1.7; mailchimp.com/help/
    # about-cleaned-contacts).
    if event.type == "bounce" and (_label(event, "list").lower() == "cleaned" or _label(event, "type").lower() == "hard"):
        return "cleaned", "", ""
    return None


def _hubspot(event: StoredEvent) -> Found | None:
    # HubSpot stops sending to an address after a bounce for a permanent reason, and later sends
    # are DROPPED with PREVIOUSLY_BOUNCED (our `suppressed`); staff "unbounce" the contact
    # (knowledge.hubspot.com, "Send emails to contacts who previously bounced"; formats.md §1.7).
    # Category HUBSPOT_GLOBAL_BOUNCE: the address hard-bounced in three or more HubSpot accounts
    # (knowledge.hubspot.com, "What do the columns mean in the CSV … unsubscribes and bounces");
    # global bounces "cannot be unbounced" (blog.orangemarketing.com, HubSpot global bounces; verify).
    if event.type in ("bounce", "suppressed"):
        category = _label(event, "category") or _label(event, "dropReason")
        if category.upper() == "HUBSPOT_GLOBAL_BOUNCE":
            return None, HUBSPOT_GLOBAL, category
        return "bounced", "", category
    return None


_ESP_RULES: dict[str, Callable[[StoredEvent], Found | None]] = {
    SENDGRID: _sendgrid, MAILGUN: _mailgun, POSTMARK: _postmark, SES: _ses, MAILCHIMP: _mailchimp, HUBSPOT: _hubspot,
}
SUPPRESSION_TYPES = ("bounce", "suppressed", "dropped")
# Every ESP label the rules above read: the loader fetches these keys only, not the whole label dict
# (tests/verdicts/test_unsuppress.py checks the list against this module's source).
LABELS_READ: tuple[str, ...] = (
    *_REASON_LABELS, "complaintSubType", "complaintFeedbackType", "type", "Type", "ID", "BounceID", "Inactive",
    "CanActivate", "bounceType", "list", "category",
)


def plan_recovery(candidates: Iterable[Candidate]) -> RecoveryPlan:
    """Apply the three rules to every candidate; the plan per ESP, and what was left out."""
    esps = {esp: EspPlan(esp) for esp in ESPS}
    excluded: Counter = Counter()
    without_esp = 0
    complained: list[str] = []
    for candidate in candidates:
        suppressing = [e for e in candidate.events if e.type in SUPPRESSION_TYPES]
        if not suppressing:
            continue
        if any(complained_or_unsubscribed(e) for e in (*candidate.events, *candidate.history)):
            excluded[EXCLUDED_COMPLAINT] += 1
            complained.append(candidate.email)
            continue
        if candidate.verdict not in KEEP_VERDICTS:
            excluded[EXCLUDED_INVALID if candidate.verdict == VerdictKind.INVALID_RECIPIENT else EXCLUDED_UNKNOWN] += 1
            continue
        named = False
        seen: set[tuple[str, str, str]] = set()
        for event in suppressing:
            rule = _ESP_RULES.get(event.esp)
            if rule is None:
                continue
            named = True
            found = rule(event)
            if found is None:
                continue
            list_name, value, detail = found
            key = (event.esp, list_name or "", value)
            if key in seen:
                continue
            seen.add(key)
            if list_name is None:
                esps[event.esp].missing.append((candidate.email, value))
            else:
                esps[event.esp].entries.append(Entry(candidate.email, list_name, value, detail))
        if not named:
            without_esp += 1
    for plan in esps.values():
        # An address Postmark reactivates through one bounce needs no "missing id" line for another.
        listed = {e.email for e in plan.entries}
        plan.missing = sorted({(email, code) for email, code in plan.missing if email not in listed})
        plan.entries.sort(key=attrgetter("list", "email", "esp_id"))
    return RecoveryPlan(esps=esps, excluded=excluded, without_esp=without_esp, complained=sorted(complained))


# --- The files -----------------------------------------------------------------------------------
# Each builder streams its file, line by line, from a FileSource: the ESP's entries on the file's lists in the
# plan's order (list, address, ESP id), its missing lines (address, code), and the counts the heads name. The
# source is a plan in memory (``ExportFile.build``) or the plan the analysis stored (verdicts.recovery), so a
# 200,000-address file starts at once.


@dataclass(frozen=True, slots=True)
class FileSource:
    entries: Iterable[Entry]  # on the file's lists only, sorted by (list, email, esp_id)
    missing: Iterable[tuple[str, str]]  # (email, MISSING_* code), sorted
    count: int  # distinct addresses the file carries
    missing_count: int  # the ESP's missing lines


@dataclass(frozen=True, slots=True)
class ExportFile:
    name: str  # the download's file name, after the campaign's
    content_type: str
    lists: tuple[str, ...]  # the ESP lists it covers
    stream: Callable[[FileSource], Iterator[str]]

    def source(self, plan: EspPlan) -> FileSource:
        return FileSource(entries=[e for e in plan.entries if e.list in self.lists], missing=plan.missing,
                          count=file_count(plan, self), missing_count=len(plan.missing))

    def build(self, plan: EspPlan) -> str:
        """The whole file from a plan in memory."""
        return "".join(self.stream(self.source(plan)))


def _csv(header: Sequence[str] | None, rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV lines; every cell through the formula guard (``exports.safe_cell``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in ([header] if header else []):
        writer.writerow(row)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        if out.tell() > 8192:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _distinct_emails(entries: Iterable[Entry]) -> Iterator[str]:
    """The addresses of entries sorted by address (one list), each once."""
    last = None
    for entry in entries:
        if entry.email != last:
            last = entry.email
            yield entry.email


def formula_guarded(email: str) -> bool:
    """The CSV guard changes this address (a leading apostrophe): its CSV cell needs a hand edit."""
    return safe_cell(email) != email


def _sendgrid_body(source: FileSource) -> Iterator[str]:
    # The request body of DELETE /v3/suppression/bounces and DELETE /v3/suppression/blocks:
    # {"emails": [...]} (never "delete_all", which empties the whole list), as json.dumps(indent=2) writes it.
    # Source: twilio.com/docs/sendgrid/api-reference/bounces-api/delete-bounces, blocks-api/delete-blocks.
    emails = _distinct_emails(source.entries)
    first = next(emails, None)
    if first is None:
        yield '{\n  "emails": []\n}\n'
        return
    yield '{\n  "emails": [\n    ' + json.dumps(first, ensure_ascii=False)
    for email in emails:
        yield ",\n    " + json.dumps(email, ensure_ascii=False)
    yield "\n  ]\n}\n"


def _sendgrid_csv(source: FileSource) -> Iterator[str]:
    # One address per row for the suppression pages' "remove" actions, with the list it is on.
    return _csv(("email", "list"), ((e.email, e.list) for e in source.entries))


def _script_head(title: str, lines: Sequence[str], count: int) -> list[str]:
    head = ["#!/bin/sh", f"# {title}", f"# {count} address(es). Generated by Deliverability Review from the campaign's"
            " recovery list:", "# verdict filter rejection, sender issue or temporary; never an invalid address,",
            "# a complaint or an unsubscribe.", *[f"# {line}" for line in lines], "set -u", ""]
    return head


def _lines(head: Sequence[str], body: Iterable[str]) -> Iterator[str]:
    """A script: the head's lines, then one line per body item, each ending in a newline."""
    yield "\n".join(head) + "\n"
    for line in body:
        yield line + "\n"


def _mailgun_script(source: FileSource) -> Iterator[str]:
    # DELETE /v3/<domain>/bounces/<address>: "Clears a given bounce event. The delivery to the
    # deleted email address resumes until it bounces again." Bounce lists are per sending domain.
    # Source: mailgun/documentation source/api-suppressions.rst ("Delete a single bounce").
    head = _script_head("Mailgun: delete these addresses from the domain's bounce list.", [
        "Needs MAILGUN_API_KEY and MAILGUN_DOMAIN (the sending domain; run once per domain).",
        "MAILGUN_API_BASE defaults to https://api.mailgun.net (EU accounts: https://api.eu.mailgun.net).",
        "HTTP 404 for an address means it was not on the list.",
    ], source.count)
    head += [': "${MAILGUN_API_KEY:?set MAILGUN_API_KEY}" "${MAILGUN_DOMAIN:?set MAILGUN_DOMAIN}"',
             'MAILGUN_API_BASE="${MAILGUN_API_BASE:-https://api.mailgun.net}"', ""]

    def line(email: str) -> str:
        path = shlex.quote(quote(email, safe="@"))
        return (f"printf '%s ' {shlex.quote(email)}; curl -sS -o /dev/null -w '%{{http_code}}\\n' -X DELETE"
                f' --user "api:${{MAILGUN_API_KEY}}" "${{MAILGUN_API_BASE}}/v3/${{MAILGUN_DOMAIN}}/bounces/"{path}')
    return _lines(head, (line(email) for email in _distinct_emails(source.entries)))


def _mailgun_csv(source: FileSource) -> Iterator[str]:
    return _csv(("address",), ((email,) for email in _distinct_emails(source.entries)))


def _postmark_script(source: FileSource) -> Iterator[str]:
    # PUT /bounces/{bounceid}/activate with the server token (X-Postmark-Server-Token): reactivates
    # the address Postmark deactivated on that bounce. Source: ActiveCampaign/postmark.js
    # (activateBounce → PUT /bounces/{id}/activate); postmarker docs (bounce.activate()).
    head = _script_head("Postmark: reactivate the addresses deactivated by these bounces.", [
        "Needs POSTMARK_SERVER_TOKEN (the server the bounces belong to).",
        *([f"{source.missing_count} more address(es) cannot be reactivated from here: see the export page."]
          if source.missing_count else []),
    ], source.count)
    head += [': "${POSTMARK_SERVER_TOKEN:?set POSTMARK_SERVER_TOKEN}"', ""]
    return _lines(head, (
        f"printf '%s ' {shlex.quote(entry.email)}; curl -sS -o /dev/null -w '%{{http_code}}\\n' -X PUT"
        ' -H "Accept: application/json" -H "X-Postmark-Server-Token: ${POSTMARK_SERVER_TOKEN}"'
        f" https://api.postmarkapp.com/bounces/{entry.esp_id}/activate" for entry in source.entries))


def _postmark_csv(source: FileSource) -> Iterator[str]:
    rows = chain(((e.email, e.esp_id, e.detail, "reactivate") for e in source.entries),
                 ((email, "", "", code) for email, code in source.missing))
    return _csv(("email", "bounce_id", "bounce_type", "action"), rows)


def _ses_script(source: FileSource) -> Iterator[str]:
    # aws sesv2 delete-suppressed-destination --email-address <value>: "Removes an email address
    # from the suppression list for your account." The list is per AWS account and Region.
    # Source: docs.aws.amazon.com/cli/latest/reference/sesv2/delete-suppressed-destination.html.
    head = _script_head("Amazon SES: remove these addresses from the account-level suppression list.", [
        "Runs with the AWS CLI's credentials and Region (add --region to each line for another one).",
        "NotFoundException for an address means it was not on the list; the script goes on.",
    ], source.count)
    return _lines(head, (f"aws sesv2 delete-suppressed-destination --email-address {shlex.quote(email)}"
                         for email in _distinct_emails(source.entries)))


SES_BULK_DELETE_LIMIT = 10_000


def _ses_csv(source: FileSource) -> Iterator[str]:
    # The bulk form: one address per line, no header (the docs' "CSV format example for removing
    # addresses"; adding takes "address,reason"), put in S3 and given to CreateImportJob with
    # SuppressionListImportAction DELETE; at most 10,000 addresses per S3 object and call (boto3
    # sesv2 create_import_job; docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html,
    # "Removing email addresses in bulk", read in a mirror of that page).
    return _csv(None, ((email,) for email in _distinct_emails(source.entries)))


def _mailchimp_csv(source: FileSource) -> Iterator[str]:
    # An audience import: Mailchimp matches the "Email Address" column (the header of its own
    # audience exports, formats.md §1.7); import as Subscribed with "update existing contacts".
    # Mailchimp may keep some cleaned: "cleaned addresses … you can't edit them" (mailchimp.com/help/
    # about-cleaned-contacts), and the API refuses a member "in a compliance state due to unsubscribe,
    # bounce, or compliance review" (mailchimp/wordpress#93); the page says so.
    return _csv(("Email Address",), ((email,) for email in _distinct_emails(source.entries)))


def _hubspot_csv(source: FileSource) -> Iterator[str]:
    # HubSpot has no bulk unbounce: the CSV lists the contacts to unbounce one by one in HubSpot
    # (contact record → Unbounce; knowledge.hubspot.com "Send emails to contacts who previously bounced").
    return _csv(("Email", "Bounce category"), ((e.email, e.detail) for e in source.entries))


FILES: dict[str, tuple[ExportFile, ...]] = {
    SENDGRID: (
        ExportFile("sendgrid-bounces-delete.json", "application/json", ("bounces",), _sendgrid_body),
        ExportFile("sendgrid-blocks-delete.json", "application/json", ("blocks",), _sendgrid_body),
        ExportFile("sendgrid-suppressions.csv", "text/csv", ("bounces", "blocks"), _sendgrid_csv),
    ),
    MAILGUN: (
        ExportFile("mailgun-bounces-delete.sh", "text/x-shellscript", ("bounces",), _mailgun_script),
        ExportFile("mailgun-bounces.csv", "text/csv", ("bounces",), _mailgun_csv),
    ),
    POSTMARK: (
        ExportFile("postmark-reactivate.sh", "text/x-shellscript", ("reactivate",), _postmark_script),
        ExportFile("postmark-bounces.csv", "text/csv", ("reactivate",), _postmark_csv),
    ),
    SES: (
        ExportFile("ses-delete-suppressed.sh", "text/x-shellscript", ("suppression_list",), _ses_script),
        ExportFile("ses-suppression-delete.csv", "text/csv", ("suppression_list",), _ses_csv),
    ),
    MAILCHIMP: (ExportFile("mailchimp-resubscribe.csv", "text/csv", ("cleaned",), _mailchimp_csv),),
    HUBSPOT: (ExportFile("hubspot-unbounce.csv", "text/csv", ("bounced",), _hubspot_csv),),
}


ALL_LISTS: tuple[str, ...] = tuple(dict.fromkeys(name for files in FILES.values() for f in files for name in f.lists))


def export_file(esp: str, name: str) -> ExportFile | None:
    return next((f for f in FILES.get(esp, ()) if f.name == name), None)


def file_count(plan: EspPlan, export: ExportFile) -> int:
    """Addresses the file carries."""
    return len({e.email for e in plan.entries if e.list in export.lists})


def summarise(plan: RecoveryPlan) -> dict:
    """What the un-suppression page shows of a plan, as JSON (codes, not words; the analysis stores it):
    per ESP with anything to lift or to explain, its addresses, addresses per ESP list, per file and per
    missing reason, and how many the CSV formula guard changes; the total, the addresses whose files named
    no ESP, and the suppressed addresses left out per reason."""
    esps = {}
    for esp in ESPS:
        esp_plan = plan.esps[esp]
        if not esp_plan.count and not esp_plan.missing:
            continue
        missing: dict[str, int] = {}
        for _email, code in esp_plan.missing:
            missing[code] = missing.get(code, 0) + 1
        esps[esp] = {"count": esp_plan.count, "lists": esp_plan.lists,
                     "files": {f.name: file_count(esp_plan, f) for f in FILES[esp]}, "missing": missing,
                     "guarded": sum(1 for email in esp_plan.emails() if formula_guarded(email))}
    return {"esps": esps, "total": plan.total, "without_esp": plan.without_esp,
            "excluded": dict(sorted(plan.excluded.items()))}


# Every figure of a summary is a count of addresses, and each address is one candidate whose share of the
# figures depends on it alone (an address is on an ESP's list, in a file, missing, guarded or left out by its
# own events, verdict and history). So the summary of a plan in which a few addresses changed is the old
# figures, less those addresses' share before, plus their share now: ``summary_counts`` flattens a summary
# into counts that add and subtract, ``summary_from_counts`` rebuilds the summary ``summarise`` would give.


def summary_counts(summary: Mapping[str, Any]) -> Counter:
    """A summary (``summarise``) as flat counts keyed by figure."""
    counts: Counter = Counter()
    for esp, figures in summary["esps"].items():
        counts["count", esp] += figures["count"]
        counts["guarded", esp] += figures["guarded"]
        for kind in ("lists", "files", "missing"):
            for name, value in figures[kind].items():
                counts[kind, esp, name] += value
    counts["total",] += summary["total"]
    counts["without_esp",] += summary["without_esp"]
    for code, value in summary["excluded"].items():
        counts["excluded", code] += value
    return counts


def summary_from_counts(counts: Mapping[tuple, int]) -> dict:
    """The summary ``summarise`` gives for these counts (its keys, its empty parts left out); ValueError when
    a count is negative (the counts subtracted were not part of the ones they were taken from)."""
    if any(value < 0 for value in counts.values()):
        raise ValueError("a summary count below zero")
    by_kind: dict[tuple[str, str], dict[str, int]] = {}
    for key, value in counts.items():
        if len(key) == 3 and value:
            by_kind.setdefault((key[0], key[1]), {})[key[2]] = value
    esps = {}
    for esp in ESPS:
        missing = dict(sorted(by_kind.get(("missing", esp), {}).items()))
        if not counts.get(("count", esp)) and not missing:
            continue
        files = by_kind.get(("files", esp), {})
        esps[esp] = {"count": counts.get(("count", esp), 0), "lists": dict(sorted(by_kind.get(("lists", esp), {}).items())),
                     "files": {f.name: files.get(f.name, 0) for f in FILES[esp]}, "missing": missing,
                     "guarded": counts.get(("guarded", esp), 0)}
    excluded = {key[1]: value for key, value in counts.items() if key[0] == "excluded" and value}
    return {"esps": esps, "total": counts.get(("total",), 0), "without_esp": counts.get(("without_esp",), 0),
            "excluded": dict(sorted(excluded.items()))}
