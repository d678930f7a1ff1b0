"""The un-suppression plan the analysis stores (CampaignRecovery summary + RecoveryEntry lines) equals the plan
computed from scratch after every kind of change to its inputs — a re-analysis, a complaint arriving through a
webhook in another campaign, an override, an erasure, an upload deleted, a retention purge — and a stored plan
whose inputs changed is never shown: computed again on the request when small, else the page says so."""
from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign, Upload
from deliverability.verdicts import recovery, tasks, unsuppress
from deliverability.verdicts import services as verdict_services
from deliverability.verdicts.analysis import analyze_upload
from deliverability.verdicts.erasure import erase_address
from deliverability.verdicts.models import CampaignRecovery, RecipientVerdict, RecoveryEntry
from deliverability.verdicts.retention import purge_organization
from deliverability.webhooks import services as webhook_services
from deliverability.webhooks.models import WebhookEndpoint
from tests.verdicts.test_unsuppress_views import SENDGRID_EVENTS, content, sg


def _import(org, events, name):
    received = services.receive_upload(org, io.BytesIO(json.dumps(events).encode()), original_name=name)
    upload = services.run_import(received.upload.pk)
    analyze_upload(upload.pk)
    return upload


def _lines(campaign, esp):
    return list(recovery.stored_entries(campaign, esp, unsuppress.ALL_LISTS)), list(recovery.stored_missing(campaign, esp))


def assert_current(org):
    """Every campaign's stored plan is current and equals the plan computed now from the events and verdicts."""
    for campaign in Campaign.objects.filter(organization=org):
        row, fresh = recovery.stored_plan(campaign)
        assert row is not None and fresh, campaign.name
        plan = recovery.campaign_recovery_plan(campaign)
        assert row.summary == json.loads(json.dumps(unsuppress.summarise(plan))), campaign.name
        for esp, esp_plan in plan.esps.items():
            entries, missing = _lines(campaign, esp)
            assert entries == esp_plan.entries and missing == esp_plan.missing, (campaign.name, esp)


def blocks_file(client, campaign):
    url = reverse("recovery_export_download", args=[campaign.organization.slug, campaign.pk])
    return json.loads(content(client.get(f"{url}?esp=sendgrid&file=sendgrid-blocks-delete.json")))["emails"]


@pytest.fixture
def q4(db, org_a):
    _import(org_a, SENDGRID_EVENTS, "sendgrid-events.json")
    campaign = Campaign.objects.get(organization=org_a, name="Q4 newsletter")
    assert recovery.stored_plan(campaign)[1]
    return campaign


@pytest.fixture
def manager(manager_a):
    return manager_a  # tests/conftest.py's manager of org_a


BLOCKED = {"type": "blocked", "status": "5.7.1",
           "reason": "550 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org"}


def test_the_analysis_stores_the_plan_and_a_reanalysis_keeps_it_equal(client, manager, org_a, q4):
    assert_current(org_a)
    assert RecoveryEntry.objects.filter(campaign=q4, esp="sendgrid", list="blocks").count() == 1
    # A second file for the same campaign: another blocked address, judged with the campaign again.
    _import(org_a, [sg("eve@northwind-freight.com", "bounce", 9, **BLOCKED)], "more.json")
    assert_current(org_a)
    client.force_login(manager)
    assert blocks_file(client, q4) == ["ana@northwind-freight.com", "eve@northwind-freight.com"]


def test_a_complaint_through_a_webhook_in_another_campaign_updates_the_plan(client, manager, org_a, q4):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name="pm", basic_user="u",
                                              basic_password="p", default_campaign="Transactional")
    body = json.dumps({"RecordType": "SpamComplaint", "ID": 7, "MessageID": "m7", "Type": "SpamComplaint",
                       "TypeCode": 512, "Email": "ana@northwind-freight.com", "BouncedAt": "2026-11-26T10:00:00Z"})
    auth = "Basic " + base64.b64encode(b"u:p").decode()
    assert client.post(reverse("webhook", args=["postmark", endpoint.token]), data=body,
                       content_type="application/json", HTTP_AUTHORIZATION=auth).status_code == 200
    upload = webhook_services.import_pending(endpoint.pk)
    # Imported, not analysed yet: Q4's plan no longer matches the organisation's uploads.
    assert not recovery.stored_plan(q4)[1]
    analyze_upload(upload.pk)
    assert_current(org_a)
    assert q4.recovery.summary["excluded"] == {"complaint_or_unsubscribe": 2, "invalid_recipient": 1}
    client.force_login(manager)
    assert blocks_file(client, q4) == []


def test_an_override_and_an_erasure_store_the_plan_again(client, manager, staff, org_a, q4):
    _import(org_a, [sg("eve@northwind-freight.com", "bounce", 9, **BLOCKED)], "more.json")
    row = RecipientVerdict.objects.get(campaign=q4, email="ana@northwind-freight.com")
    verdict_services.set_override(row, "invalid_recipient", staff)
    assert_current(org_a)
    assert CampaignRecovery.objects.get(campaign=q4).summary["excluded"]["invalid_recipient"] == 2
    erase_address(org_a, "eve@northwind-freight.com", staff)
    assert_current(org_a)
    assert not RecoveryEntry.objects.filter(email="eve@northwind-freight.com").exists()
    client.force_login(manager)
    assert blocks_file(client, q4) == []


class _Recorder:
    """Runs the real refresh_plans, noting whether the plans were stale when the purge asked for it."""

    def __init__(self, wrapped):
        self.wrapped, self.stale_when_called = wrapped, None

    def __call__(self, organization_id):
        self.stale_when_called = not any(recovery.stored_plan(c)[1] for c in Campaign.objects.filter(
            organization_id=organization_id))
        return self.wrapped(organization_id)


def test_a_deleted_upload_and_a_retention_purge_make_other_plans_stale_until_refreshed(org_a, q4, monkeypatch):
    october = [{"email": "ana@northwind-freight.com", "event": "spamreport", "timestamp": 1761980400,
                "sg_event_id": "october-spam", "campaign": "October"}]
    upload = _import(org_a, october, "october.json")
    assert_current(org_a)
    assert not RecoveryEntry.objects.filter(campaign=q4, email="ana@northwind-freight.com").exclude(
        esp=recovery.RULE_2_ESP).exists()  # no file line; the line that says rule 2 left her out
    services.delete_upload(upload)
    assert not recovery.stored_plan(q4)[1]  # the complaint is gone: Q4's plan is stale
    # What the deletion's receivers dispatch (verdicts.receivers.on_campaigns_changed), run here in order.
    tasks.refresh_recovery_plans(org_a.pk)
    assert_current(org_a)
    assert RecoveryEntry.objects.filter(campaign=q4, email="ana@northwind-freight.com").exists()
    # A retention purge deletes events outside any upload: every plan of the organisation is stale.
    org_a.retention_days = 1
    org_a.save()
    refresh = _Recorder(recovery.refresh_plans)
    monkeypatch.setattr(recovery, "refresh_plans", refresh)
    purge_organization(org_a, now=timezone.now() + timedelta(days=400))
    assert refresh.stale_when_called  # the purge marked every plan stale, then had them computed again
    assert_current(org_a)


def test_an_unrelated_upload_restamps_the_plan_without_computing_it(org_a, q4, monkeypatch):
    before = CampaignRecovery.objects.get(campaign=q4).computed_at
    _import(org_a, [sg("zed@elsewhere.example", "delivered", 1, campaign="Other", response="250 OK")], "other.json")
    assert CampaignRecovery.objects.get(campaign=q4).computed_at == before  # not computed again…
    assert_current(org_a)  # …and current
    # A bounce of one of Q4's addresses in another campaign: rule 2 reads only complaints, unsubscribes, drops
    # and suppressions elsewhere, so Q4's plan is not computed again either.
    _import(org_a, [sg("ana@northwind-freight.com", "bounce", 30, campaign="December", sg_event_id="december-1", **BLOCKED)],
            "december.json")
    assert CampaignRecovery.objects.get(campaign=q4).computed_at == before
    assert_current(org_a)


def test_a_stale_plan_of_a_large_campaign_is_never_shown(client, manager, org_a, q4, monkeypatch):
    monkeypatch.setattr(recovery, "INLINE_LIMIT", 0)
    Upload.objects.create(organization=org_a, original_name="x.csv", sha256="x" * 64, file="uploads/none",
                          status=Upload.Status.RUNNING)
    client.force_login(manager)
    page = client.get(reverse("recovery_exports", args=[org_a.slug, q4.pk])).content.decode()
    assert "is being computed again" in page and "SendGrid: 1 address" not in page
    download = client.get(reverse("recovery_export_download", args=[org_a.slug, q4.pk])
                          + "?esp=sendgrid&file=sendgrid-blocks-delete.json")
    assert download.status_code == 302 and download["Location"].endswith(f"/campaigns/{q4.pk}/recovery/")
    # A small campaign's stale plan is computed on the request instead.
    monkeypatch.setattr(recovery, "INLINE_LIMIT", 5000)
    assert "SendGrid: 1 address" in client.get(reverse("recovery_exports", args=[org_a.slug, q4.pk])).content.decode()
    assert recovery.stored_plan(q4)[1]


def test_the_page_reads_a_fixed_number_of_queries(client, manager, org_a, q4, django_assert_max_num_queries):
    _import(org_a, [sg(f"x{i}@northwind-freight.com", "bounce", 10 + i, **BLOCKED) for i in range(30)], "many.json")
    client.force_login(manager)
    url = reverse("recovery_exports", args=[org_a.slug, q4.pk])
    client.get(url)
    with django_assert_max_num_queries(10):
        assert "SendGrid: 31 addresses" in client.get(url).content.decode()


def test_the_backfill_command_stores_what_the_analysis_would(org_a, q4):
    from django.core.management import call_command

    from deliverability.verdicts.models import CampaignSignatureStat, CampaignVendorStat

    def vendor_rows():
        return (sorted(CampaignVendorStat.objects.filter(campaign=q4).values_list(
                    "vendor", "domain", "recipients", "delivered", "bounced", "sender_issue", "invalid_recipient")),
                sorted(CampaignSignatureStat.objects.filter(campaign=q4).values_list(
                    "vendor", "category", "signature", "bounced", "example")))
    by_analysis = vendor_rows()
    assert by_analysis[0] and by_analysis[1]
    CampaignVendorStat.objects.all().delete()
    CampaignSignatureStat.objects.all().delete()
    CampaignRecovery.objects.all().delete()
    RecoveryEntry.objects.all().delete()
    out = io.StringIO()
    call_command("store_campaign_rollups", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("1 campaign(s) stored")
    assert vendor_rows() == by_analysis
    assert_current(org_a)
    call_command("store_campaign_rollups", stdout=out, stderr=io.StringIO())  # nothing missing: nothing done
    assert "0 campaign(s) stored" in out.getvalue()
