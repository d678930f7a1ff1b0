"""A stored un-suppression plan updated for the few addresses a live upload reaches through rule 2
(recovery.update_plan) equals the plan computed from scratch, line for line and figure for figure; the update
is what runs for that case, and the whole plan is still computed for the changes an update cannot tell
(a deleted upload, an upload with events in the campaign itself).

The property test builds random small organisations straight in the database (the verdicts are set by hand:
the plan reads them, it does not judge), over many seeds: several campaigns, addresses in several of them,
bounces, drops and suppressions of every ESP's kinds, then webhook-style uploads of complaints, unsubscribes,
drops and suppressions, analysed as the analysis does (the campaigns an upload fills stored whole, as
judge_campaign does, then refresh_plans)."""
from __future__ import annotations

import base64
import hashlib
import json
import random
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from deliverability.accounts.models import Organization
from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign, Event, Recipient, Upload
from deliverability.verdicts import recovery, tasks, unsuppress
from deliverability.verdicts.analysis import analyze_upload
from deliverability.verdicts.models import CampaignRecovery, RecipientVerdict, RecoveryEntry
from deliverability.webhooks import services as webhook_services
from deliverability.webhooks.models import WebhookEndpoint
from tests.verdicts.test_recovery_stored import BLOCKED, _import, assert_current
from tests.verdicts.test_unsuppress_views import SENDGRID_EVENTS, sg

SEEDS = 200 if connection.vendor == "sqlite" else 40  # PostgreSQL: COPY and a database round trip per query

# (type, ESP labels) an ESP's export or webhook stores, per upload format: every list and missing reason of
# unsuppress._ESP_RULES, and drops / suppressions whose reason is a complaint or an unsubscribe (rule 2).
KINDS: dict[str, list[tuple[str, dict]]] = {
    "sendgrid": [("bounce", {"type": "bounce"}), ("bounce", {"type": "blocked"}),
                 ("suppressed", {"reason": "Bounced Address"}), ("dropped", {"reason": "Spam Reporting Address"}),
                 ("dropped", {"reason": "Unsubscribed Address"}), ("dropped", {"reason": "Invalid"})],
    "mailgun": [("bounce", {}), ("suppressed", {"reason": "suppress-bounce"}),
                ("dropped", {"reason": "suppress-complaint"}), ("dropped", {"reason": "suppress-unsubscribe"})],
    "postmark": [("bounce", {"Inactive": "true", "CanActivate": "true", "ID": "4001", "Type": "HardBounce"}),
                 ("bounce", {"Inactive": "true", "CanActivate": "true", "ID": "4002", "Type": "BadEmailAddress"}),
                 ("bounce", {"Inactive": "true", "CanActivate": "true", "Type": "HardBounce"}),
                 ("bounce", {"Inactive": "true", "CanActivate": "false", "Type": "SpamNotification"}),
                 ("bounce", {"Inactive": "false", "Type": "SoftBounce"}),
                 ("suppressed", {"SuppressionReason": "HardBounce"}),
                 ("suppressed", {"SuppressionReason": "SpamComplaint"}),
                 ("suppressed", {"SuppressionReason": "ManualSuppression"})],
    "ses": [("bounce", {"bounceType": "Permanent", "bounceSubType": "General"}),
            ("bounce", {"bounceType": "Permanent", "bounceSubType": "NoEmail"}),
            ("bounce", {"bounceType": "Transient", "bounceSubType": "MailboxFull"}),
            ("suppressed", {"bounceType": "Permanent", "bounceSubType": "OnAccountSuppressionList"}),
            ("suppressed", {"bounceType": "Permanent", "bounceSubType": "Suppressed"}),
            ("suppressed", {"complaintSubType": "OnAccountSuppressionList"})],
    "mailchimp": [("bounce", {"list": "cleaned"}), ("bounce", {"type": "hard"}), ("bounce", {"type": "soft"})],
    "hubspot": [("bounce", {"category": "HARD_BOUNCE"}), ("bounce", {"category": "UNKNOWN_USER"}),
                ("bounce", {"category": "HUBSPOT_GLOBAL_BOUNCE"}), ("suppressed", {"dropReason": "PREVIOUSLY_BOUNCED"}),
                ("dropped", {"dropReason": "PREVIOUS_SPAM"}),
                ("suppressed", {"dropReason": "PREVIOUSLY_UNSUBSCRIBED_MESSAGE"})],
    "csv": [("bounce", {}), ("dropped", {}), ("suppressed", {})],  # a file that names no ESP
}
ELSEWHERE = [("complaint", {}), ("unsubscribe", {}), ("delivered", {}), ("open", {})]
VERDICTS = ["filter_rejection", "sender_issue", "temporary", "invalid_recipient", "unknown"]
# What a live ESP feed brings for an address: a complaint, an unsubscribe, a drop or a suppression, with a
# reason that is rule 2's or not.
LIVE = {
    "sendgrid": [("complaint", {}), ("unsubscribe", {}), ("dropped", {"reason": "Spam Reporting Address"}),
                 ("dropped", {"reason": "Unsubscribed Address"}), ("dropped", {"reason": "Bounced Address"}),
                 ("delivered", {})],
    "postmark": [("complaint", {}), ("suppressed", {"SuppressionReason": "SpamComplaint"}),
                 ("suppressed", {"SuppressionReason": "HardBounce"})],
    "ses": [("complaint", {"complaintFeedbackType": "abuse"}),
            ("suppressed", {"complaintSubType": "OnAccountSuppressionList"}),
            ("suppressed", {"bounceSubType": "OnAccountSuppressionList"})],
    "mailgun": [("unsubscribe", {}), ("dropped", {"reason": "suppress-complaint"}), ("dropped", {"reason": "old"})],
}
CAMPAIGN_ESPS = ["SendGrid", "Amazon SES", "", "Postmark", "HubSpot"]


class Org:
    """A random organisation in the database, and the means to add uploads to it."""

    def __init__(self, seed: int):
        self.rng = rng = random.Random(seed)
        self.seed, self.serial = seed, 0
        self.org = Organization.objects.create(name=f"Seed {seed}", slug=f"seed-{seed}")
        self.campaigns = Campaign.objects.bulk_create(
            Campaign(organization=self.org, name=f"C{i}", esp=rng.choice(CAMPAIGN_ESPS),
                     sent_at=datetime(2026, 10, 1 + i, tzinfo=UTC)) for i in range(rng.randint(2, 5)))
        self.people = Recipient.objects.bulk_create(
            Recipient(organization=self.org, email=f"p{i}@d{i % 3}.example", domain=f"d{i % 3}.example")
            for i in range(rng.randint(6, 18)))
        self.files = {fmt: self.upload(fmt) for fmt in rng.sample(sorted(KINDS), rng.randint(2, len(KINDS)))}
        events, verdicts = [], []
        for person in self.people:
            for campaign in rng.sample(self.campaigns, rng.randint(1, len(self.campaigns))):
                events += [self.event(campaign, person, fmt, *rng.choice(KINDS[fmt]))
                           for fmt in rng.choices(sorted(self.files), k=rng.randint(1, 3))]
                if rng.random() < 0.15:
                    events.append(self.event(campaign, person, rng.choice(sorted(self.files)), *rng.choice(ELSEWHERE)))
                if rng.random() < 0.9:  # now and then an address with events and no verdict
                    verdict = rng.choice(VERDICTS)
                    verdicts.append(RecipientVerdict(organization=self.org, campaign=campaign, recipient=person,
                                                     email=person.email, domain=person.domain, outcome="bounce",
                                                     computed_verdict=verdict, verdict=verdict, confidence=0.8))
        Event.objects.bulk_create(events)
        RecipientVerdict.objects.bulk_create(verdicts)
        Upload.objects.filter(pk__in=[u.pk for u in self.files.values()]).update(
            status=Upload.Status.DONE, analyzed_at=timezone.now())

    def upload(self, fmt: str, status: str = Upload.Status.RUNNING) -> Upload:
        self.serial += 1
        return Upload.objects.create(organization=self.org, original_name=f"{fmt}-{self.serial}", file="",
                                     sha256=hashlib.sha256(f"{self.seed}-{self.serial}".encode()).hexdigest(), detected_format=fmt,
                                     status=status)

    def event(self, campaign, person, fmt, kind, labels, upload=None) -> Event:
        self.serial += 1
        return Event(organization=self.org, campaign=campaign, recipient=person, upload=upload or self.files[fmt],
                     type=kind, esp_event_id=f"e{self.serial}", domain=person.domain, esp_labels=labels,
                     occurred_at=datetime(2026, 11, 1, tzinfo=UTC))

    def store_all(self) -> None:
        for campaign in self.campaigns:
            recovery.store_plan(campaign)

    def live_upload(self, *, fill_existing: bool) -> tuple[Upload, set[int]]:
        """A webhook batch: live events for some addresses in a campaign of the feed's own (new, or now and then
        one of the organisation's), imported and marked done; returns it and the campaigns it fills."""
        rng = self.rng
        fmt = rng.choice(sorted(LIVE))
        upload = self.upload(fmt)
        own = rng.choice(self.campaigns) if fill_existing else Campaign.objects.create(
            organization=self.org, name=f"Live {self.serial}", esp="")
        Event.objects.bulk_create(self.event(own, person, fmt, *rng.choice(LIVE[fmt]), upload=upload)
                                  for person in rng.sample(self.people, rng.randint(1, 4)))
        Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.DONE)
        return upload, {own.pk}

    def unanalysed_upload(self) -> tuple[Upload, set[int]]:
        """A file imported and not analysed yet (its analysis queued behind another): bounces, drops and
        suppressions of every kind in one of the organisation's campaigns, for addresses with a verdict there,
        and a complaint in another; returns it and the campaign it fills."""
        rng = self.rng
        fmt = rng.choice(sorted(self.files))
        upload = self.upload(fmt)
        campaign = rng.choice(self.campaigns)
        judged = list(Recipient.objects.filter(verdicts__campaign=campaign))
        events = [self.event(campaign, person, fmt, *rng.choice(KINDS[fmt]), upload=upload)
                  for person in rng.sample(judged, min(len(judged), rng.randint(1, 3)))]
        events.append(self.event(rng.choice(self.campaigns), rng.choice(self.people), fmt, "complaint", {}, upload=upload))
        Event.objects.bulk_create(events)
        Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.DONE)
        return upload, {e.campaign_id for e in events}

    def analyse(self, upload: Upload, fills: set[int]) -> Counter:
        """What analysis.analyze_upload does with the plans: judge_campaign stores the plan of every campaign
        the upload fills (the verdicts here are set by hand, so only the plan is stored), then refresh_plans."""
        for campaign in Campaign.objects.filter(pk__in=fills):
            recovery.store_plan(campaign)
        Upload.objects.filter(pk=upload.pk).update(analyzed_at=timezone.now())
        return recovery.refresh_plans(self.org.pk)


def snapshots(campaigns) -> dict[int, tuple]:
    """Stored plans as the page and the files read them, per campaign: the summary, every ESP's lines in the
    stored order, and the addresses rule 2 left out."""
    found = {row.campaign_id: (json.loads(json.dumps(row.summary, sort_keys=True)), [], [])
             for row in CampaignRecovery.objects.filter(campaign__in=campaigns)}
    for campaign_id, esp, *line in (RecoveryEntry.objects.filter(campaign__in=campaigns).order_by("esp", "position", "email")
                                    .values_list("campaign_id", "esp", "list", "email", "esp_id", "detail", "missing")):
        if esp == recovery.RULE_2_ESP:
            found[campaign_id][2].append((line[1], line[4]))
        else:
            found[campaign_id][1].append((esp, *line))
    return found


def snapshot(campaign: Campaign) -> tuple:
    return snapshots([campaign])[campaign.pk]


def from_scratch(campaign: Campaign) -> tuple:
    """What ``store_plan`` would store now, as ``snapshot`` reads it, computed without storing it (so the plan
    under test stays the one the updates made)."""
    plan = recovery.campaign_recovery_plan(campaign)
    rows = sorted(recovery._entry_rows(campaign, plan), key=lambda row: (row[1], row[2], row[4]))
    return (json.loads(json.dumps(unsuppress.summarise(plan), sort_keys=True)),
            [row[1:2] + row[3:] for row in rows if row[1] != recovery.RULE_2_ESP],
            [(row[4], row[7]) for row in rows if row[1] == recovery.RULE_2_ESP])


def assert_as_from_scratch(org: Org, context: str, store: bool = False) -> None:
    """Every plan of the organisation is current and equals the plan computed from scratch; with ``store``,
    the plan ``store_plan`` stores."""
    campaigns = list(Campaign.objects.filter(organization=org.org))
    stored = snapshots(campaigns)
    stamp = recovery.inputs_stamp(org.org.pk)
    inputs = dict(CampaignRecovery.objects.filter(campaign__in=campaigns).values_list("campaign_id", "inputs"))
    stale = [c.name for c in campaigns if inputs.get(c.pk) != stamp]
    assert not stale, f"seed {org.seed}, {context}: stale plans {stale}"
    for campaign in campaigns:
        if store:
            recovery.store_plan(campaign)
            assert stored[campaign.pk] == snapshot(campaign), f"seed {org.seed}, {context}: {campaign.name}"
        else:
            assert stored[campaign.pk] == from_scratch(campaign), f"seed {org.seed}, {context}: {campaign.name}"


@pytest.mark.django_db
def test_an_updated_plan_equals_the_plan_computed_from_scratch_over_random_organisations():
    totals: Counter = Counter()
    for seed in range(SEEDS):
        org = Org(seed)
        running = org.upload(org.rng.choice(sorted(LIVE))) if seed % 3 == 0 else None
        if running:
            # An import still running when the plans are stored, with complaints already in: its rows are
            # history (rule 2 errs on the side of keeping suppressed); it settles before the first live upload.
            Event.objects.bulk_create(org.event(org.rng.choice(org.campaigns), person, "", "complaint", {},
                                                upload=running) for person in org.rng.sample(org.people, 2))
        org.store_all()
        if running:
            Event.objects.bulk_create(org.event(org.rng.choice(org.campaigns), person, "", "unsubscribe", {},
                                                upload=running) for person in org.rng.sample(org.people, 2))
            Upload.objects.filter(pk=running.pk).update(status=Upload.Status.DONE, analyzed_at=timezone.now())
        for batch in range(3):  # updates on updates, each compared with the plan from scratch
            upload, fills = org.live_upload(fill_existing=org.rng.random() < 0.25)
            # Now and then a file imported meanwhile, its analysis still to come: the refresh sees its events.
            waiting = org.unanalysed_upload() if org.rng.random() < 0.3 else None
            totals.update(org.analyse(upload, fills))
            # Every fifth seed, the last time: against what store_plan itself stores.
            assert_as_from_scratch(org, f"after live upload {batch + 1}", store=batch == 2 and seed % 5 == 0)
            if waiting:
                totals.update(org.analyse(*waiting))
    # The case this is about happened, and often: plans updated, not computed again.
    assert totals["updated"] > SEEDS, totals


@pytest.fixture
def q4(db, org_a):
    _import(org_a, SENDGRID_EVENTS, "sendgrid-events.json")
    _import(org_a, [sg("eve@northwind-freight.com", "bounce", 9, **BLOCKED)], "more.json")
    return Campaign.objects.get(organization=org_a, name="Q4 newsletter")


def _webhook_complaint(client, org, email):
    endpoint = WebhookEndpoint.objects.create(organization=org, esp="postmark", name="pm", basic_user="u",
                                              basic_password="p", default_campaign="Transactional")
    body = json.dumps({"RecordType": "SpamComplaint", "ID": 7, "MessageID": "m7", "Type": "SpamComplaint",
                       "TypeCode": 512, "Email": email, "BouncedAt": "2026-11-26T10:00:00Z"})
    auth = "Basic " + base64.b64encode(b"u:p").decode()
    assert client.post(reverse("webhook", args=["postmark", endpoint.token]), data=body,
                       content_type="application/json", HTTP_AUTHORIZATION=auth).status_code == 200
    return webhook_services.import_pending(endpoint.pk)


def test_a_webhook_complaint_updates_the_plan_of_the_address_only(client, org_a, q4):
    """GIVEN Q4's stored plan with two blocked addresses on SendGrid's block list
    WHEN a Postmark webhook brings a spam complaint for one of them, in another campaign, and is analysed
    THEN Q4's plan is updated, not computed again: the other address's line is the same row as before, the
    complainer's line is gone, the counts moved from the list to the left-out addresses, and the plan equals
    the plan computed from scratch."""
    kept = RecoveryEntry.objects.get(campaign=q4, email="eve@northwind-freight.com", list="blocks")
    before = CampaignRecovery.objects.get(campaign=q4).summary
    upload = _webhook_complaint(client, org_a, "ana@northwind-freight.com")
    done = analyze_upload(upload.pk)
    assert done["plans"] == {"updated": 1, "restamped": 1}  # Q4 updated; Transactional, judged just before, restamped
    assert RecoveryEntry.objects.filter(pk=kept.pk).exists()  # not rewritten
    assert not RecoveryEntry.objects.filter(campaign=q4, email="ana@northwind-freight.com").exclude(
        esp=recovery.RULE_2_ESP).exists()
    after = CampaignRecovery.objects.get(campaign=q4).summary
    assert after["esps"]["sendgrid"]["lists"] == {"blocks": 1}
    assert after["excluded"]["complaint_or_unsubscribe"] == before["excluded"].get("complaint_or_unsubscribe", 0) + 1
    assert_current(org_a)
    stored = snapshot(q4)
    recovery.store_plan(q4)
    assert snapshot(q4) == stored


def test_a_deletion_and_an_upload_that_fills_the_campaign_compute_the_whole_plan(client, org_a, q4):
    upload = _webhook_complaint(client, org_a, "ana@northwind-freight.com")
    analyze_upload(upload.pk)
    entry = RecoveryEntry.objects.get(campaign=q4, email="eve@northwind-freight.com", list="blocks")
    # The complaint's upload deleted: which addresses its events concerned is gone with them.
    services.delete_upload(upload)
    assert tasks.refresh_recovery_plans(org_a.pk) == {"computed": 1}  # Q4, whole (Transactional went with the upload)
    assert not RecoveryEntry.objects.filter(pk=entry.pk).exists()  # every line written again
    assert RecoveryEntry.objects.filter(campaign=q4, email="ana@northwind-freight.com", list="blocks").exists()
    assert_current(org_a)
    # A file with a complaint in Q4 itself: its analysis judges Q4 (the whole plan), and the refresh after it
    # has nothing left to do for Q4.
    entry = RecoveryEntry.objects.get(campaign=q4, email="eve@northwind-freight.com", list="blocks")
    done = _import_done(org_a, [sg("ana@northwind-freight.com", "spamreport", 40, sg_event_id="q4-spam")])
    assert "updated" not in done["plans"]
    assert not RecoveryEntry.objects.filter(pk=entry.pk).exists()
    assert_current(org_a)


def _import_done(org, events) -> dict:
    import io

    received = services.receive_upload(org, io.BytesIO(json.dumps(events).encode()), original_name="q4-spam.json")
    upload = services.run_import(received.upload.pk)
    return analyze_upload(upload.pk)


def test_an_upload_imported_not_analysed_with_events_in_the_campaign_makes_the_refresh_compute_it(client, org_a, q4):
    """An upload with events in Q4 imported but not analysed yet (its own analysis will judge Q4): a refresh
    meanwhile computes Q4's plan whole, never updates it from the rule-2 side only."""
    import io

    events = [sg("ana@northwind-freight.com", "spamreport", 41, sg_event_id="q4-spam-2"),
              sg("ana@northwind-freight.com", "unsubscribe", 42, campaign="Elsewhere", sg_event_id="else-unsub")]
    received = services.receive_upload(org_a, io.BytesIO(json.dumps(events).encode()), original_name="waiting.json")
    services.run_import(received.upload.pk, analyse=False)
    entry = RecoveryEntry.objects.get(campaign=q4, email="eve@northwind-freight.com", list="blocks")
    assert recovery.refresh_plans(org_a.pk) == {"computed": 1}
    assert not RecoveryEntry.objects.filter(pk=entry.pk).exists()  # every line written again
    assert recovery.stored_plan(q4)[1]


def test_an_update_that_cannot_vouch_for_the_stored_lines_computes_the_whole_plan(client, org_a, q4):
    """A stored plan whose lines for the address do not match what its events and verdict imply (here: its
    line deleted behind the plan's back) is not patched: it is computed again, and ends right."""
    RecoveryEntry.objects.filter(campaign=q4, email="ana@northwind-freight.com").delete()
    upload = _webhook_complaint(client, org_a, "ana@northwind-freight.com")
    assert analyze_upload(upload.pk)["plans"] == {"computed": 1, "restamped": 1}
    assert_current(org_a)


def test_summary_counts_add_up_per_address():
    """Pure: the summary of a plan is the sum of its addresses' shares, and the counts give back the summary."""
    rng = random.Random(5)
    for _ in range(300):
        candidates = []
        for i in range(rng.randint(0, 8)):
            fmt = rng.choice(sorted(KINDS))
            events = [unsuppress.StoredEvent(kind, unsuppress.esp_from_name(fmt), f"{i}", labels)
                      for kind, labels in rng.choices(KINDS[fmt], k=rng.randint(1, 3))]
            history = [unsuppress.StoredEvent(kind, "", None, labels) for kind, labels in rng.choices(
                [*LIVE["sendgrid"], *LIVE["ses"]], k=rng.randint(0, 1))]
            candidates.append(unsuppress.Candidate(f"=a{i}@x.example" if rng.random() < 0.2 else f"a{i}@x.example",
                                                   rng.choice(VERDICTS), events, history))
        whole = unsuppress.summarise(unsuppress.plan_recovery(candidates))
        assert unsuppress.summary_from_counts(unsuppress.summary_counts(whole)) == whole
        counts: Counter = Counter()
        for candidate in candidates:
            counts.update(unsuppress.summary_counts(unsuppress.summarise(unsuppress.plan_recovery([candidate]))))
        assert unsuppress.summary_from_counts(counts) == whole
    with pytest.raises(ValueError):
        unsuppress.summary_from_counts(Counter({("total",): -1}))
