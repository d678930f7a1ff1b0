"""The CSV formula guard also catches the full-width and small forms spreadsheets read as operators."""
from __future__ import annotations

import pytest

from deliverability.verdicts.exports import safe_cell


@pytest.mark.parametrize("text", ["＝HYPERLINK(\"http://evil.example\")", "＋1+1", "－2+3", "＠SUM(A1)",
                                  "﹦1+1", "﹢1", "﹣1", "﹫SUM(A1)"])
def test_full_width_and_small_operators_get_the_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Ｓpring sale", "é=1", "a＝b", "１２３"])
def test_other_text_is_left_alone(text):
    assert safe_cell(text) == text


def test_a_download_guards_a_full_width_domain(client, staff, org_a, campaign_a):
    from deliverability.verdicts.models import CampaignDomainStat

    CampaignDomainStat.objects.create(campaign=campaign_a, domain="＝cmd|' /C calc'!A0.example", kind="corporate",
                                      recipients=1, bounced=1, unknown=1)
    client.force_login(staff)
    response = client.get(f"/o/{org_a.slug}/campaigns/{campaign_a.pk}/?csv=domains")
    body = b"".join(response.streaming_content).decode()
    assert "'＝cmd" in body
