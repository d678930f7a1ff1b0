"""The ESP un-suppression files (pure): which addresses go to which ESP list, the never-lift rules,
and each ESP's file shape. Events come from the project's own ESP readers, so the labels the rules
read are the ones the readers store."""
from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
from collections import Counter

import pytest

from deliverability.ingest import hubspot, mailchimp, mailgun, postmark, sendgrid, ses
from deliverability.ingest.records import Record
from deliverability.ingest.textio import Peeked
from deliverability.verdicts import unsuppress as u

KEEP, INVALID, UNKNOWN = "filter_rejection", "invalid_recipient", "unknown"
READERS = {u.SENDGRID: sendgrid, u.MAILGUN: mailgun, u.POSTMARK: postmark, u.SES: ses, u.MAILCHIMP: mailchimp,
           u.HUBSPOT: hubspot}


def read(esp: str, payload: object | str) -> dict[str, list[u.StoredEvent]]:
    """Events per address, read from an ESP payload by the project's reader for that ESP."""
    data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    events: dict[str, list[u.StoredEvent]] = {}
    for record in READERS[esp].read(Peeked.from_bytes(data)):
        assert isinstance(record, Record), record
        events.setdefault(record.email.lower(), []).append(
            u.StoredEvent(record.event_type, esp, record.esp_event_id, record.esp_labels))
    return events


def plan(events: dict[str, list[u.StoredEvent]], verdicts: dict[str, str] | None = None,
         history: dict[str, list[u.StoredEvent]] | None = None) -> u.RecoveryPlan:
    verdicts = verdicts or {}
    return u.plan_recovery(u.Candidate(email, verdicts.get(email, KEEP), evs, (history or {}).get(email, ()))
                           for email, evs in events.items())


def build(p: u.RecoveryPlan, esp: str, name: str) -> str:
    export = u.export_file(esp, name)
    assert export is not None
    return export.build(p.esps[esp])


def sg(email, event, **fields):
    return {"email": email, "event": event, "timestamp": 1764000000, "sg_event_id": f"{email}-{event}", **fields}


# --- SendGrid ----------------------------------------------------------------------------------


def test_sendgrid_bounces_and_blocks_go_to_their_delete_bodies():
    events = read(u.SENDGRID, [
        sg("ana@acme.example", "bounce", type="bounce", reason="550 5.7.1 rejected by policy", status="5.7.1"),
        sg("bo@acme.example", "bounce", type="blocked", reason="550 5.7.1 blocked using zen.spamhaus.org", status="5.7.1"),
        sg("cy@acme.example", "dropped", reason="Bounced Address", status="5.0.0"),
    ])
    p = plan(events)
    assert json.loads(build(p, u.SENDGRID, "sendgrid-bounces-delete.json")) == {
        "emails": ["ana@acme.example", "cy@acme.example"]}
    assert json.loads(build(p, u.SENDGRID, "sendgrid-blocks-delete.json")) == {"emails": ["bo@acme.example"]}
    rows = list(csv.reader(io.StringIO(build(p, u.SENDGRID, "sendgrid-suppressions.csv"))))
    assert rows == [["email", "list"], ["bo@acme.example", "blocks"], ["ana@acme.example", "bounces"],
                    ["cy@acme.example", "bounces"]]
    assert p.esps[u.SENDGRID].lists == {"blocks": 1, "bounces": 2}
    assert p.total == 3


def test_sendgrid_body_never_asks_to_delete_the_whole_list():
    p = plan(read(u.SENDGRID, [sg("ana@acme.example", "bounce", type="bounce", reason="550 policy")]))
    assert "delete_all" not in build(p, u.SENDGRID, "sendgrid-bounces-delete.json")
    assert json.loads(build(p, u.SENDGRID, "sendgrid-blocks-delete.json")) == {"emails": []}


def test_deferred_and_delivered_addresses_are_not_suppressed_anywhere():
    p = plan(read(u.SENDGRID, [sg("ana@acme.example", "deferred", response="421 try later"),
                               sg("bo@acme.example", "delivered", response="250 OK")]))
    assert p.total == 0 and not p.excluded


# --- The never-lift rules ------------------------------------------------------------------------


def test_an_invalid_or_unknown_verdict_is_never_lifted():
    events = read(u.SENDGRID, [sg(f"{name}@acme.example", "bounce", type="bounce", reason="550 5.1.1 user unknown")
                               for name in ("ana", "bo", "cy")])
    p = plan(events, {"ana@acme.example": INVALID, "bo@acme.example": UNKNOWN, "cy@acme.example": "temporary"})
    assert p.esps[u.SENDGRID].emails() == ["cy@acme.example"]
    assert p.excluded == Counter({u.EXCLUDED_INVALID: 1, u.EXCLUDED_UNKNOWN: 1})
    assert "ana@acme.example" not in build(p, u.SENDGRID, "sendgrid-suppressions.csv")


@pytest.mark.parametrize("other", [
    sg("ana@acme.example", "spamreport"),
    sg("ana@acme.example", "unsubscribe"),
    sg("ana@acme.example", "group_unsubscribe", asm_group_id=4),
    sg("ana@acme.example", "dropped", reason="Spam Reporting Address"),
    sg("ana@acme.example", "dropped", reason="Unsubscribed Address"),
])
def test_a_complaint_or_unsubscribe_in_another_campaign_blocks_the_lift(other):
    events = read(u.SENDGRID, [sg("ana@acme.example", "bounce", type="blocked", reason="550 5.7.1 policy")])
    p = plan(events, history=read(u.SENDGRID, [other]))
    assert p.total == 0
    assert p.excluded == Counter({u.EXCLUDED_COMPLAINT: 1})


def test_a_complaint_in_the_same_campaign_blocks_the_lift_whatever_the_verdict():
    events = read(u.SENDGRID, [sg("ana@acme.example", "bounce", type="bounce", reason="550 5.7.1 policy"),
                               sg("ana@acme.example", "spamreport")])
    p = plan(events, {"ana@acme.example": "sender_issue"})
    assert p.total == 0 and p.excluded[u.EXCLUDED_COMPLAINT] == 1


def test_a_complaint_from_another_esp_blocks_the_lift_too():
    """GIVEN a SendGrid bounce now and an SES complaint in an older campaign THEN no ESP file names it."""
    events = read(u.SENDGRID, [sg("ana@acme.example", "bounce", type="bounce", reason="550 5.7.1 policy")])
    complaint = {"notificationType": "Complaint", "mail": {"messageId": "m1", "timestamp": "2026-10-01T10:00:00Z"},
                 "complaint": {"complainedRecipients": [{"emailAddress": "ana@acme.example"}], "feedbackId": "f1",
                               "timestamp": "2026-10-01T11:00:00Z", "complaintFeedbackType": "abuse"}}
    p = plan(events, history=read(u.SES, complaint))
    assert p.total == 0 and p.excluded[u.EXCLUDED_COMPLAINT] == 1


def test_whatever_the_mix_no_file_ever_names_an_invalid_or_complaining_address():
    """Every combination of verdict × (complaint or not, here or elsewhere) × ESP event: the files only
    ever hold addresses with a keep verdict and no complaint or unsubscribe anywhere."""
    kinds = {
        "hard": sg("{e}", "bounce", type="bounce", reason="550 5.1.1 unknown"),
        "block": sg("{e}", "bounce", type="blocked", reason="550 5.7.1 blocked"),
        "echo": sg("{e}", "dropped", reason="Bounced Address"),
    }
    signals = {"none": [], "spam": [sg("{e}", "spamreport")], "unsub": [sg("{e}", "unsubscribe")]}
    verdicts = ("invalid_recipient", "filter_rejection", "sender_issue", "temporary", "unknown")
    events, history, chosen, bad = {}, {}, {}, set()
    for verdict in verdicts:
        for kind, template in kinds.items():
            for signal, extra in signals.items():
                for where in ("here", "elsewhere"):
                    email = f"{verdict}.{kind}.{signal}.{where}@acme.example".replace("_", "-")
                    fill = [{k: (v.format(e=email) if isinstance(v, str) else v) for k, v in t.items()}
                            for t in [template]]
                    more = [{k: (v.format(e=email) if isinstance(v, str) else v) for k, v in t.items()} for t in extra]
                    events.update(read(u.SENDGRID, fill + (more if where == "here" else [])))
                    if where == "elsewhere" and more:
                        history.update(read(u.SENDGRID, more))
                    chosen[email] = verdict
                    if verdict not in ("filter_rejection", "sender_issue", "temporary") or signal != "none":
                        bad.add(email)
    p = plan(events, chosen, history)
    listed = {e.email for esp_plan in p.esps.values() for e in esp_plan.entries}
    assert listed and not listed & bad
    assert listed == set(chosen) - bad
    for export in u.FILES[u.SENDGRID]:
        text = export.build(p.esps[u.SENDGRID])
        assert not any(email in text for email in bad), export.name


# --- Mailgun -----------------------------------------------------------------------------------


def mg(email, event, **fields):
    return {"signature": {"token": "t", "timestamp": "1", "signature": "s"},
            "event-data": {"id": f"{email}-{event}", "event": event, "timestamp": 1764000000.5, "recipient": email,
                           **fields}}


def test_mailgun_permanent_failures_become_bounce_deletions_and_complaints_never(tmp_path):
    events = {}
    for payload in (
        mg("ana+news@acme.example", "failed", severity="permanent", reason="bounce",
           **{"delivery-status": {"code": 550, "message": "5.7.1 rejected by policy"}}),
        mg("bo@acme.example", "failed", severity="permanent", reason="suppress-bounce"),
        mg("cy@acme.example", "failed", severity="permanent", reason="suppress-complaint"),
        mg("dee@acme.example", "failed", severity="temporary", reason="generic"),
    ):
        for email, evs in read(u.MAILGUN, payload).items():
            events.setdefault(email, []).extend(evs)
    p = plan(events)
    assert p.esps[u.MAILGUN].emails() == ["ana+news@acme.example", "bo@acme.example"]
    assert p.excluded == Counter({u.EXCLUDED_COMPLAINT: 1})
    assert list(csv.reader(io.StringIO(build(p, u.MAILGUN, "mailgun-bounces.csv")))) == [
        ["address"], ["ana+news@acme.example"], ["bo@acme.example"]]
    calls = run_script(tmp_path, build(p, u.MAILGUN, "mailgun-bounces-delete.sh"), "curl",
                       MAILGUN_API_KEY="key-1", MAILGUN_DOMAIN="mg.sender.example")
    assert [c[-1] for c in calls] == ["https://api.mailgun.net/v3/mg.sender.example/bounces/ana%2Bnews@acme.example",
                                      "https://api.mailgun.net/v3/mg.sender.example/bounces/bo@acme.example"]
    assert all(c[c.index("-X"):c.index("-X") + 2] == ["-X", "DELETE"] for c in calls)
    assert all("api:key-1" in c for c in calls)


def run_script(tmp_path, script: str, program: str, **env) -> list[list[str]]:
    """Run a generated script with a stand-in `program` on PATH that records its arguments, one
    JSON line per call: what the real CLI would have received, quoting included."""
    log = tmp_path / "calls.jsonl"
    fake = tmp_path / "bin" / program
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f"#!/usr/bin/env python3\nimport json, sys\nopen({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                    "print(200)\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    path = tmp_path / "run.sh"
    path.write_text(script)
    result = subprocess.run(["sh", str(path)], env={"PATH": f"{fake.parent}:{os.environ['PATH']}", **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


# --- Postmark ----------------------------------------------------------------------------------


def pm_bounce(email, bounce_id, inactive=True, can_activate=True, type_="HardBounce"):
    return {"RecordType": "Bounce", "ID": bounce_id, "Type": type_, "TypeCode": 1, "Email": email,
            "BouncedAt": "2026-11-02T10:00:00Z", "Details": "550 5.7.1 Message rejected by policy",
            "Inactive": inactive, "CanActivate": can_activate, "MessageID": f"m-{bounce_id}"}


def test_postmark_reactivates_by_bounce_id_and_says_what_is_missing(tmp_path):
    events = {}
    for payload in (
        pm_bounce("ana@acme.example", 4323372036),
        pm_bounce("bo@acme.example", 4323372037, inactive=False),  # Postmark left it active: nothing to lift
        pm_bounce("cy@acme.example", 4323372038, can_activate=False),
        {"RecordType": "SubscriptionChange", "MessageID": "m-9", "Recipient": "dee@acme.example",
         "SuppressSending": True, "SuppressionReason": "HardBounce", "ChangedAt": "2026-11-03T10:00:00Z"},
        {"RecordType": "SubscriptionChange", "MessageID": "m-10", "Recipient": "eve@acme.example",
         "SuppressSending": True, "SuppressionReason": "SpamComplaint", "ChangedAt": "2026-11-03T10:00:00Z"},
    ):
        for email, evs in read(u.POSTMARK, payload).items():
            events.setdefault(email, []).extend(evs)
    p = plan(events)
    pm = p.esps[u.POSTMARK]
    assert [(e.email, e.esp_id) for e in pm.entries] == [("ana@acme.example", "4323372036")]
    assert pm.missing == [("cy@acme.example", u.CANNOT_ACTIVATE), ("dee@acme.example", u.MISSING_BOUNCE_ID)]
    assert p.excluded == Counter({u.EXCLUDED_COMPLAINT: 1})  # eve: Postmark suppressed her for a spam complaint
    calls = run_script(tmp_path, build(p, u.POSTMARK, "postmark-reactivate.sh"), "curl", POSTMARK_SERVER_TOKEN="tok")
    assert len(calls) == 1 and calls[0][-1] == "https://api.postmarkapp.com/bounces/4323372036/activate"
    assert "X-Postmark-Server-Token: tok" in calls[0] and "PUT" in calls[0]
    rows = list(csv.DictReader(io.StringIO(build(p, u.POSTMARK, "postmark-bounces.csv"))))
    assert [(r["email"], r["bounce_id"], r["action"]) for r in rows] == [
        ("ana@acme.example", "4323372036", "reactivate"), ("cy@acme.example", "", u.CANNOT_ACTIVATE),
        ("dee@acme.example", "", u.MISSING_BOUNCE_ID)]


def test_postmark_bounce_id_is_never_taken_from_a_composite_event_id():
    event = u.StoredEvent("bounce", u.POSTMARK, "m-1:bounce:2026-11-02", {"Inactive": "true"})
    p = u.plan_recovery([u.Candidate("ana@acme.example", KEEP, [event])])
    assert p.esps[u.POSTMARK].missing == [("ana@acme.example", u.MISSING_BOUNCE_ID)]
    labelled = u.StoredEvent("bounce", u.POSTMARK, "bounce:77", {"Inactive": "true", "ID": "77"})
    p = u.plan_recovery([u.Candidate("ana@acme.example", KEEP, [labelled])])
    assert [e.esp_id for e in p.esps[u.POSTMARK].entries] == ["77"]


# --- Amazon SES --------------------------------------------------------------------------------


def ses_bounce(email, bounce_type, sub_type, diagnostic="smtp; 550 5.7.1 rejected by policy"):
    return {"notificationType": "Bounce",
            "mail": {"messageId": f"m-{email}", "timestamp": "2026-11-02T10:00:00Z", "destination": [email]},
            "bounce": {"bounceType": bounce_type, "bounceSubType": sub_type, "feedbackId": f"f-{email}",
                       "timestamp": "2026-11-02T10:00:05Z",
                       "bouncedRecipients": [{"emailAddress": email, "status": "5.7.1", "diagnosticCode": diagnostic}]}}


def test_ses_account_suppression_list_entries_script_and_csv(tmp_path):
    events = {}
    for payload in (ses_bounce("ana@acme.example", "Permanent", "General"),
                    ses_bounce("=cmd@acme.example", "Permanent", "OnAccountSuppressionList"),
                    ses_bounce("bo@acme.example", "Transient", "General"),
                    ses_bounce("cy@acme.example", "Permanent", "Suppressed")):
        for email, evs in read(u.SES, payload).items():
            events.setdefault(email, []).extend(evs)
    p = plan(events)
    assert p.esps[u.SES].emails() == ["=cmd@acme.example", "ana@acme.example"]
    assert p.esps[u.SES].missing == [("cy@acme.example", u.SES_GLOBAL_LIST)]
    script = build(p, u.SES, "ses-delete-suppressed.sh")
    assert "aws sesv2 delete-suppressed-destination --email-address ana@acme.example" in script
    calls = run_script(tmp_path, script, "aws")
    assert calls == [["sesv2", "delete-suppressed-destination", "--email-address", "=cmd@acme.example"],
                     ["sesv2", "delete-suppressed-destination", "--email-address", "ana@acme.example"]]
    # The CSV goes through the formula guard: the "=" address is written as text.
    assert list(csv.reader(io.StringIO(build(p, u.SES, "ses-suppression-delete.csv")))) == [
        ["'=cmd@acme.example"], ["ana@acme.example"]]
    assert u.formula_guarded("=cmd@acme.example") and not u.formula_guarded("ana@acme.example")


def test_ses_suppression_after_a_complaint_is_never_lifted():
    complaint = {"notificationType": "Complaint", "mail": {"messageId": "m1", "timestamp": "2026-11-02T10:00:00Z"},
                 "complaint": {"complainedRecipients": [{"emailAddress": "ana@acme.example"}], "feedbackId": "f1",
                               "complaintSubType": "OnAccountSuppressionList", "timestamp": "2026-11-02T10:00:00Z"}}
    events = read(u.SES, complaint)
    assert events["ana@acme.example"][0].type == "suppressed"
    p = plan(events)
    assert p.total == 0 and p.excluded[u.EXCLUDED_COMPLAINT] == 1


def test_a_shell_script_passes_hostile_addresses_through_as_one_argument(tmp_path):
    """Quotes, $( ), backticks and ; in an address never reach the shell as code."""
    hostile = ["o'brien$(touch pwned)@acme.example", "`id`;x@acme.example", "a b\"c@acme.example"]
    events = {email: [u.StoredEvent("bounce", u.SES, None, {"bounceType": "Permanent"})] for email in hostile}
    calls = run_script(tmp_path, build(u.plan_recovery(u.Candidate(e, KEEP, evs) for e, evs in events.items()),
                                       u.SES, "ses-delete-suppressed.sh"), "aws")
    assert sorted(c[-1] for c in calls) == sorted(hostile)
    assert not (tmp_path / "pwned").exists()


# --- Mailchimp and HubSpot ---------------------------------------------------------------------


def test_mailchimp_cleaned_contacts_become_a_resubscribe_import():
    cleaned = ("Email Address,First Name,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID\n"
               "ana@acme.example,Ana,2026-11-02 10:00:00,November,c1\n"
               "+bo@acme.example,Bo,2026-11-02 10:00:00,November,c1\n")
    unsubscribed = ("Email Address,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON\n"
                    "ana@acme.example,2026-10-01 10:00:00,October,NORMAL\n")
    p = plan(read(u.MAILCHIMP, cleaned), history=read(u.MAILCHIMP, unsubscribed))
    assert p.excluded == Counter({u.EXCLUDED_COMPLAINT: 1})  # ana unsubscribed in October
    assert list(csv.reader(io.StringIO(build(p, u.MAILCHIMP, "mailchimp-resubscribe.csv")))) == [
        ["Email Address"], ["'+bo@acme.example"]]


def test_hubspot_bounces_become_an_unbounce_list_and_unsubscribed_drops_never():
    events = read(u.HUBSPOT, {"events": [
        {"id": "e1", "type": "BOUNCE", "recipient": "ana@acme.example", "created": 1764000000000,
         "category": "POLICY", "response": "550 5.7.1 rejected by policy", "status": "5.7.1"},
        {"id": "e2", "type": "DROPPED", "recipient": "bo@acme.example", "created": 1764000000000,
         "dropReason": "PREVIOUSLY_BOUNCED"},
        {"id": "e3", "type": "DROPPED", "recipient": "cy@acme.example", "created": 1764000000000,
         "dropReason": "PREVIOUSLY_UNSUBSCRIBED_PORTAL"},
        {"id": "e4", "type": "BOUNCE", "recipient": "dee@acme.example", "created": 1764000000000,
         "category": "HUBSPOT_GLOBAL_BOUNCE", "response": "550 5.7.1 rejected", "status": "5.7.1"},
    ]})
    p = plan(events)
    assert p.esps[u.HUBSPOT].missing == [("dee@acme.example", u.HUBSPOT_GLOBAL)]
    assert list(csv.reader(io.StringIO(build(p, u.HUBSPOT, "hubspot-unbounce.csv")))) == [
        ["Email", "Bounce category"], ["ana@acme.example", "POLICY"], ["bo@acme.example", "PREVIOUSLY_BOUNCED"]]
    assert p.excluded == Counter({u.EXCLUDED_COMPLAINT: 1})


# --- Files from no named ESP, ESP names ---------------------------------------------------------


def test_events_from_a_file_without_an_esp_are_counted_not_exported():
    p = u.plan_recovery([u.Candidate("ana@acme.example", KEEP, [u.StoredEvent("bounce", "")])])
    assert p.total == 0 and p.without_esp == 1


@pytest.mark.parametrize("name,esp", [("sendgrid", u.SENDGRID), ("SendGrid", u.SENDGRID), ("Amazon SES", u.SES),
                                      ("ses", u.SES), ("Mailchimp", u.MAILCHIMP), ("csv", ""), ("", ""),
                                      (None, ""), ("HubSpot", u.HUBSPOT), ("postmark", u.POSTMARK)])
def test_esp_from_a_reader_or_campaign_name(name, esp):
    assert u.esp_from_name(name) == esp


def test_the_loader_fetches_every_label_the_rules_read():
    """recovery.py fetches LABELS_READ only: a rule reading another label would read nothing."""
    import re
    from pathlib import Path

    source = Path(u.__file__).read_text()
    read = set(re.findall(r'_(?:label|flag)\(event, "([A-Za-z_]+)"\)', source))
    read |= set(re.findall(r'labels(?: or \{\}\))?\.get\("([A-Za-z_]+)"\)', source))
    assert read and read <= set(u.LABELS_READ), read - set(u.LABELS_READ)
    assert set(u._REASON_LABELS) <= set(u.LABELS_READ)


def test_a_postmark_flag_read_back_as_a_number_still_counts():
    event = u.StoredEvent("bounce", u.POSTMARK, "77", {"Inactive": "1", "CanActivate": "1"})
    assert [e.esp_id for e in u.plan_recovery([u.Candidate("ana@acme.example", KEEP, [event])]).esps[u.POSTMARK].entries] == ["77"]
