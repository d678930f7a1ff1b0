"""The vendor page's figures come from one source (the per-campaign vendor rollups): the chart, the domains
table, the campaigns table and their CSVs agree with each other and with the stored verdicts, and the chart
shows bounces on their own scale (no delivered bar beside them)."""
from __future__ import annotations

import csv
import io
import json
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deliverability.verdicts.models import CampaignSignatureStat, CampaignVendorStat, RecipientVerdict
from deliverability.verdicts.services import store_vendor_rollups
from deliverability.verdicts.vocabulary import VERDICTS
from tests.dashboard.conftest import add_verdict


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _chart(html: str) -> dict:
    match = re.search(r'<script id="fig-vendor-campaigns" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def _num(value: str) -> int:
    return int(value or 0)


def test_chart_domains_and_campaigns_agree_with_the_verdicts(client, viewer_a, org_a, diagnosed):
    # A bounce Proofpoint answered for at a domain whose MX is elsewhere (a gateway in front of another
    # host): it counts at Proofpoint in every table, not only in the campaigns one.
    add_verdict(diagnosed["november"], "x@relay.example", "sender_issue", vendor="proofpoint",
                category="policy", signature="policy_block")
    store_vendor_rollups(diagnosed["november"].pk)
    client.force_login(viewer_a)
    url = reverse("org_vendor", args=[org_a.slug, "proofpoint"])
    response = client.get(url)
    assert response.status_code == 200
    domains, campaigns = _csv(client.get(url + "?csv=domains")), _csv(client.get(url + "?csv=campaigns"))
    assert "relay.example" in {d["domain"] for d in domains}
    # The tables agree column by column.
    for column in ("recipients", "bounced", *VERDICTS):
        by_campaign = "recipients_at_vendor" if column == "recipients" else "bounced_at_vendor" if column == "bounced" else column
        assert sum(_num(d[column]) for d in domains) == sum(_num(c[by_campaign]) for c in campaigns), column
    # …and with the verdicts stored for this organisation's bounces at Proofpoint.
    bounces = RecipientVerdict.objects.filter(organization=org_a, vendor="proofpoint", outcome="bounce")
    assert sum(_num(c["bounced_at_vendor"]) for c in campaigns) == bounces.count()
    for verdict in VERDICTS:
        assert sum(_num(c[verdict]) for c in campaigns) == bounces.filter(verdict=verdict).count(), verdict
    # The verdict columns add up to the bounces, per campaign.
    for c in campaigns:
        assert sum(_num(c[v]) for v in VERDICTS) == _num(c["bounced_at_vendor"])
    # The chart: bounces by verdict only, the same numbers as the campaigns table.
    chart = _chart(response.content.decode())
    names = [trace["name"] for trace in chart["data"]]
    assert "Delivered" not in names and names
    assert sum(sum(trace["y"]) for trace in chart["data"]) == bounces.count()
    # The signatures add up to the bounces too (fewer than 30 of them here).
    signatures = _csv(client.get(url + "?csv=signatures"))
    assert sum(_num(s["bounces"]) for s in signatures) == bounces.count()


def test_rollups_follow_the_verdicts_and_stay_in_their_organisation(client, viewer_a, org_a, diagnosed):
    november = diagnosed["november"]
    before = CampaignVendorStat.objects.filter(campaign=november, vendor="proofpoint").count()
    assert before and CampaignSignatureStat.objects.filter(campaign=november, vendor="proofpoint").exists()
    RecipientVerdict.objects.filter(campaign=november, vendor="proofpoint").delete()
    store_vendor_rollups(november.pk)
    assert not CampaignSignatureStat.objects.filter(campaign=november, vendor="proofpoint").exists()
    client.force_login(viewer_a)
    url = reverse("org_vendor", args=[org_a.slug, "proofpoint"])
    assert "secret.person" not in str(_csv(client.get(url + "?csv=signatures")))
    assert "Borealis" not in str(_csv(client.get(url + "?csv=campaigns")))


def test_the_vendor_page_reads_the_same_number_of_queries_whatever_the_bounces(
        client, viewer_a, org_a, diagnosed, django_assert_num_queries):
    client.force_login(viewer_a)
    url = reverse("org_vendor", args=[org_a.slug, "proofpoint"])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for i in range(40):  # more bounces, signatures and domains at the vendor: more rollup rows, no more queries
        add_verdict(diagnosed["november"], f"r{i}@d{i % 7}.example", "filter_rejection", vendor="proofpoint",
                    category="policy", signature=f"sig_{i % 5}")
    store_vendor_rollups(diagnosed["november"].pk)
    with django_assert_num_queries(len(before)):
        assert client.get(url).status_code == 200
