"""Issue 19 items 6-7: the weekly page tells the week's why from the real chain (demo import →
DNS over the loopback server → verdicts → rollups → weekly payload): the biggest causes by company
and vendor with links, what the ESP said vs what we found, and the colleagues argument."""
from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from deliverability.accounts.models import Organization
from deliverability.campaigns import services
from deliverability.campaigns.demo import write_demo_csv
from deliverability.campaigns.models import Campaign
from deliverability.dashboard import snapshots
from deliverability.verdicts.analysis import analyze_upload

NOVEMBER = date(2026, 11, 2)  # the demo's campaign under review is sent that Monday


@pytest.fixture
def org(db, tmp_path):
    org = Organization.objects.create(name="Lumen Analytics", slug="lumen", timezone="UTC")
    path = tmp_path / "demo.csv"
    write_demo_csv(path, seed=7)
    upload = services.run_import(services.receive_upload(org, path, original_name="demo.csv").upload.pk)
    analyze_upload(upload.pk)
    return org


def test_the_week_names_its_biggest_causes_by_company_and_vendor(org):
    payload = snapshots.compute_week(org, NOVEMBER)
    top = payload["why"]["causes"][0]
    assert (top["domain"], top["verdict"], top["vendor_name"], top["count"], top["delivered"]) == (
        "northwind-freight.com", "filter_rejection", "Proofpoint", 52, 8)
    assert payload["why"]["invalid"] >= payload["current"]["by_verdict"]["invalid_recipient"]  # bounced invalids, and any deferred ones
    assert payload["why"]["invalid_companies"] >= 4


def test_what_the_esp_said_adds_up_to_the_reported_hard_bounces(org):
    payload = snapshots.compute_week(org, NOVEMBER)
    hard, other = payload["esp_vs_found"]
    assert hard["said"] == "hard" and hard["total"] == payload["current"]["reported_hard"]
    assert hard["total"] + other["total"] == payload["current"]["bounced"]
    # the demo file has no hard/soft label: every "hard" one was read from its 5xx reply
    assert payload["current"]["hard_source"] == {"esp_label": 0, "inferred_from_reply": hard["total"]}
    assert payload["trend"][-1]["hard_filter_rejection"] > payload["trend"][-1]["hard_invalid_recipient"] > 0


def test_the_weekly_page_tells_the_story_with_links(org, client, staff):
    client.force_login(staff)
    response = client.get(reverse("weekly_week", args=[org.slug, NOVEMBER.isoformat()]))
    page = response.content.decode()
    november = Campaign.objects.get(organization=org, name="November product update")
    assert "the same company accepted 8 colleagues&#x27; copies" in page or "the same company accepted 8 colleagues' copies" in page
    assert "northwind-freight.com" in page and reverse("org_domain", args=[org.slug, "northwind-freight.com"]) in page
    assert reverse("org_vendor", args=[org.slug, "proofpoint"]) in page
    assert reverse("campaign", args=[org.slug, november.pk]) in page
    assert "What the ESP said vs what we found" in page
    assert "your files carry no hard/soft label, so this split is ours" in page
    assert 'id="fig-weekly-hard-split"' in page


def test_the_digest_email_carries_the_split_and_the_colleagues_argument(org):
    from deliverability.dashboard import digest
    from deliverability.dashboard.models import WeeklySnapshot

    snapshot = WeeklySnapshot(organization=org, week=NOVEMBER, payload=snapshots.compute_week(org, NOVEMBER))
    message = digest.build_message(snapshot, "client@example.com")
    assert "bounces with a 5xx reply (your files carry no hard/soft label)" in message.body
    assert "At northwind-freight.com (Proofpoint) the same company accepted 8 colleagues' copies within the minute" in message.body
    html = message.alternatives[0][0]
    assert "were refused by the companies" in html and "northwind-freight.com" in html


def test_the_pdf_carries_the_story_and_the_hard_split(org, client, staff):
    from django.template.loader import render_to_string

    from deliverability.dashboard import figures, weekly_views

    if not weekly_views.pdf_available():
        pytest.skip("WeasyPrint's Pango libraries are not installed")
    client.force_login(staff)
    context = {"org": org, "p": snapshots.compute_week(org, NOVEMBER), "snapshot": None, "nav": {}}
    html = render_to_string("dashboard/weekly_pdf.html", {**context, "trend_svg": figures.trend_svg(context["p"]["trend"]),
                                                          "hard_split_svg": figures.hard_split_svg(context["p"]["trend"])})
    assert "What the reported hard bounces really were" in html and "What the ESP said vs what we found" in html
    response = client.get(reverse("weekly_pdf", args=[org.slug, NOVEMBER.isoformat()]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_consumer_providers_deliveries_are_not_colleagues_copies():
    """The week's causes at gmail.com (a consumer provider) count its delivered copies without calling them
    colleagues' (new-user trial); a company's domain keeps the word."""
    from deliverability.dashboard.weekly import biggest_causes

    rows = [{"domain": "gmail.com", "kind": "consumer", "vendor": "gmail", "delivered": 23, "sender_issue": 4},
            {"domain": "acme.example", "kind": "corporate", "vendor": "proofpoint", "delivered": 8,
             "filter_rejection": 6}]
    causes = {c["domain"]: c for c in biggest_causes(rows)["causes"]}
    assert causes["gmail.com"]["b2c"] is True and causes["acme.example"]["b2c"] is False
    from django.template.loader import render_to_string

    html = "".join(render_to_string("dashboard/_weekly_cause.html", {"c": c}) for c in causes.values())
    assert "23 copies to other users were delivered" in html and "8 copies to colleagues were delivered" in html
