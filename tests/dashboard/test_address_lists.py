"""The recovery and suppress lists stream every verdict of the campaign, in address order, across the
download's pieces (a first piece of FIRST_BATCH rows, then BATCH), and nothing of another campaign."""
from __future__ import annotations

import csv
import io

from django.urls import reverse

from deliverability.dashboard import exports
from tests.dashboard.conftest import add_verdict
from tests.factories import make_campaign


def _rows(response) -> list[dict]:
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_suppress_list_holds_every_invalid_address_once_in_order_across_pieces(client, viewer_a, org_a,
                                                                              monkeypatch):
    monkeypatch.setattr(exports, "FIRST_BATCH", 7)
    monkeypatch.setattr(exports, "BATCH", 10)
    campaign, other = make_campaign(org_a, "November"), make_campaign(org_a, "October")
    invalid = [f"gone{i:02d}@acme.example" for i in range(33)]  # 7 + 10 + 10 + 6: four pieces
    for email in reversed(invalid):
        add_verdict(campaign, email, "invalid_recipient")
    for i in range(5):
        add_verdict(campaign, f"kept{i}@acme.example", "filter_rejection")
        add_verdict(other, f"gone{i:02d}x@acme.example", "invalid_recipient")
    client.force_login(viewer_a)
    rows = _rows(client.get(reverse("campaign_suppress_list", args=[org_a.slug, campaign.pk])))
    assert [r["email"] for r in rows] == invalid


def test_a_list_shorter_than_the_first_piece_and_an_empty_one_keep_their_header(client, viewer_a, org_a):
    campaign = make_campaign(org_a, "November")
    client.force_login(viewer_a)
    url = reverse("campaign_suppress_list", args=[org_a.slug, campaign.pk])
    assert _rows(client.get(url)) == []
    add_verdict(campaign, "gone@acme.example", "invalid_recipient")
    assert [r["email"] for r in _rows(client.get(url))] == ["gone@acme.example"]


def test_addresses_and_evidence_crafted_as_formulas_are_written_as_text(client, viewer_a, org_a):
    """GIVEN an address and evidence crafted as spreadsheet formulas WHEN the list is downloaded THEN no cell
    starts with a formula character (verdicts.exports.safe_cell, through the people's CSV writer)."""
    from deliverability.verdicts.models import RecipientVerdict

    campaign = make_campaign(org_a, "November")
    row = add_verdict(campaign, "=cmd|'/C calc'!A0@evil.example", "invalid_recipient")
    RecipientVerdict.objects.filter(pk=row.pk).update(evidence=[{"code": "x", "text": '=IMPORTXML("http://x")'}])
    client.force_login(viewer_a)
    [listed] = _rows(client.get(reverse("campaign_suppress_list", args=[org_a.slug, campaign.pk])))
    assert listed["email"].startswith("'=") and listed["evidence"].startswith("'=")
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in listed.values())
