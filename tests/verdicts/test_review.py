"""Staff review: overrides flow into every figure and export; notes reach the client, escaped;
the client pages (campaign explanation, glossary, guidance to forward)."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from deliverability.accounts.models import AuditEvent
from deliverability.bounces.vendors import get_vendor
from deliverability.campaigns.models import Campaign
from deliverability.verdicts.guidance import DATA_FILE, vendor_guidance
from deliverability.verdicts.models import CampaignDiagnosis, CampaignDomainStat, CampaignNote, RecipientVerdict
from tests.portal_data import SUBJECT, import_campaign, recent


@pytest.fixture
def november(org_a, tmp_path):
    import_campaign(org_a, tmp_path, "November newsletter", recent(10), prefix="nov")
    return Campaign.objects.get(organization=org_a)


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _review_url(org, campaign, row):
    return reverse("verdict_review", args=[org.slug, campaign.pk, row.recipient_id])


def test_an_override_flows_into_figures_lists_and_exports(client, org_a, staff, viewer_a, november):
    row = RecipientVerdict.objects.get(campaign=november, email=SUBJECT)
    assert row.verdict == "invalid_recipient"
    before = CampaignDiagnosis.objects.get(campaign=november)
    client.force_login(staff)
    response = client.post(_review_url(org_a, november, row), {"decision": "filter_rejection",
                                                               "note": "She answered our call."})
    assert response.status_code == 302

    row = RecipientVerdict.objects.get(campaign=november, email=SUBJECT)  # rows are rewritten by the recompute
    assert (row.verdict, row.override_verdict, row.computed_verdict) == ("filter_rejection", "filter_rejection",
                                                                          "invalid_recipient")
    assert row.overridden_by == staff and row.overridden_at is not None and row.override_note == "She answered our call."
    after = CampaignDiagnosis.objects.get(campaign=november)
    assert after.by_verdict["invalid_recipient"] == before.by_verdict["invalid_recipient"] - 1
    assert after.by_verdict.get("filter_rejection", 0) == before.by_verdict.get("filter_rejection", 0) + 1
    assert after.estimated_invalid_rate < before.estimated_invalid_rate
    stat = CampaignDomainStat.objects.get(campaign=november, domain="northwind-freight.com")
    assert stat.filter_rejection >= 1 and stat.invalid_recipient == 0

    client.force_login(viewer_a)  # the client sees it everywhere
    recipients = _csv(client.get(reverse("campaign", args=[org_a.slug, november.pk]) + "?csv=recipients"))
    mine = next(r for r in recipients if r["email"] == SUBJECT)
    assert mine["verdict"] == "Filter rejection" and mine["overridden"] == "yes"
    recovery = _csv(client.get(reverse("campaign_recovery_list", args=[org_a.slug, november.pk])))
    assert SUBJECT in {r["email"] for r in recovery}
    page = client.get(reverse("campaign_recipient", args=[org_a.slug, november.pk, row.recipient_id])).content.decode()
    assert "the engine said" in page and "by staff" in page and "She answered our call." in page
    assert 'id="review-form"' not in page  # clients read reviews, they do not make them
    audit = AuditEvent.objects.get(action="override")
    assert audit.user == staff and audit.detail["after"] == "filter_rejection" and SUBJECT not in str(audit.detail)


def test_marking_reviewed_keeps_the_verdict_and_records_who(client, org_a, staff, november):
    row = RecipientVerdict.objects.get(campaign=november, email="gone@globex.example")
    client.force_login(staff)
    client.post(_review_url(org_a, november, row), {"decision": "confirm", "note": ""})
    row = RecipientVerdict.objects.get(campaign=november, email="gone@globex.example")
    assert row.verdict == row.computed_verdict == row.override_verdict == "invalid_recipient"
    assert row.overridden_by == staff
    page = client.get(reverse("campaign_recipient", args=[org_a.slug, november.pk, row.recipient_id])).content
    assert b"Reviewed and confirmed" in page
    client.post(_review_url(org_a, november, row), {"decision": "clear", "note": ""})
    row = RecipientVerdict.objects.get(campaign=november, email="gone@globex.example")
    assert row.override_verdict == "" and row.overridden_by is None


def test_an_unknown_decision_changes_nothing(client, org_a, staff, november):
    row = RecipientVerdict.objects.get(campaign=november, email=SUBJECT)
    client.force_login(staff)
    assert client.post(_review_url(org_a, november, row), {"decision": "delete_everything"}).status_code == 200
    row.refresh_from_db()
    assert row.override_verdict == ""


def test_only_staff_review(client, org_a, manager_a, november):
    row = RecipientVerdict.objects.get(campaign=november, email=SUBJECT)
    client.force_login(manager_a)
    assert client.post(_review_url(org_a, november, row), {"decision": "temporary"}).status_code == 404
    row.refresh_from_db()
    assert row.override_verdict == ""


def test_a_staff_note_reaches_the_client_escaped(client, org_a, staff, viewer_a, november):
    client.force_login(staff)
    body = "Most refusals came from Proofpoint.\n<script>alert(1)</script>"
    response = client.post(reverse("campaign_notes", args=[org_a.slug, november.pk]), {"body": body})
    assert response.status_code == 302
    note = CampaignNote.objects.get()
    assert note.author == staff
    client.force_login(viewer_a)
    page = client.get(reverse("campaign", args=[org_a.slug, november.pk])).content.decode()
    assert "Most refusals came from Proofpoint." in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Add a note" not in page and "Manage the notes" not in page
    client.force_login(staff)
    client.post(reverse("campaign_note_delete", args=[org_a.slug, november.pk, note.pk]))
    assert not CampaignNote.objects.exists()
    assert AuditEvent.objects.filter(action="note").count() == 2


def test_an_empty_note_is_refused(client, org_a, staff, november):
    client.force_login(staff)
    assert client.post(reverse("campaign_notes", args=[org_a.slug, november.pk]), {"body": ""}).status_code == 200
    assert not CampaignNote.objects.exists()


def test_campaign_page_leads_with_the_explanation_then_charts_then_technical_detail(client, org_a, viewer_a, november):
    client.force_login(viewer_a)
    page = client.get(reverse("campaign", args=[org_a.slug, november.pk])).content.decode()
    explanation, charts, technical = page.index('id="explanation"'), page.index('class="charts'), page.index(
        '<details id="technical">')
    assert explanation < charts < technical
    assert page.index('id="recipient-table"') > technical  # the raw answers sit behind the toggle
    assert reverse("glossary") in page
    assert reverse("vendor_guidance", args=[org_a.slug, "proofpoint"]) in page
    # Filtering or paging the tables opens the toggle, so the reader lands on what they asked for.
    filtered = client.get(reverse("campaign", args=[org_a.slug, november.pk]) + "?rverdict=invalid_recipient")
    assert b'<details id="technical" open>' in filtered.content


def test_glossary_explains_the_terms_clients_meet(client, viewer_a):
    client.force_login(viewer_a)
    page = client.get(reverse("glossary")).content.decode()
    for term in ("hard bounce", "soft bounce", "MX", "security gateway", "blocklist", "SPF/DKIM/DMARC", "allowlist"):
        assert term in page
    assert "Refused by the company&#x27;s filter" in page or "Refused by the company's filter" in page


def test_guidance_letter_names_the_steps_sources_and_lookup_and_escapes_input(client, org_a, viewer_a, november):
    client.force_login(viewer_a)
    url = reverse("vendor_guidance", args=[org_a.slug, "proofpoint"])
    page = client.get(url + "?sender_domain=news.acme.example&sender_ips=192.0.2.10&domain=northwind-freight.com")
    content = page.content.decode()
    assert page.status_code == 200
    assert "Organizational Safe List" in content and "https://ipcheck.proofpoint.com/" in content
    assert "news.acme.example" in content and "192.0.2.10" in content and "northwind-freight.com" in content
    assert "help.proofpoint.com" in content  # sources are shown
    hostile = client.get(url + "?sender_domain=%3Cscript%3E&domain=%22onmouseover%3D").content.decode()
    assert "<script>" not in hostile and "onmouseover=" not in hostile


def test_guidance_only_for_vendors_the_organisation_met(client, org_a, viewer_a, november):
    client.force_login(viewer_a)
    assert client.get(reverse("vendor_guidance", args=[org_a.slug, "mimecast"])).status_code == 404
    assert client.get(reverse("vendor_guidance", args=[org_a.slug, "no-such-vendor"])).status_code == 404


def test_every_guidance_entry_is_a_known_vendor_with_steps_and_sources():
    data = json.loads(DATA_FILE.read_text())
    assert {"proofpoint", "mimecast", "barracuda", "cisco", "microsoft365"} <= set(data["vendors"])
    for vendor_id in sorted(data["vendors"]):
        assert get_vendor(vendor_id) is not None, vendor_id
        guidance = vendor_guidance(vendor_id)
        assert guidance["specific"] and guidance["allowlist_steps"] and guidance["directory_check"]
        assert guidance["sources"] and all(s.startswith(("https://", "http://")) for s in guidance["sources"])
    generic = vendor_guidance("forcepoint")
    assert generic is not None and not generic["specific"] and generic["allowlist_steps"]
