"""The vendor page's campaign links land on what the vendor page counted: the recipients that vendor answered for
(the bounce's answering server), not the domains whose MX is that vendor. A Microsoft 365 domain behind Proofpoint
is the case that told them apart."""
from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from deliverability.verdicts.models import CampaignDomainStat
from deliverability.verdicts.services import store_vendor_rollups
from tests.dashboard.conftest import add_verdict
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db

VENDOR_COLUMNS = ("recipients", "bounced", "filter_rejection", "sender_issue", "invalid_recipient")
TABLE_COLUMNS = ("recipients", "delivered", "bounced", "invalid_recipient", "filter_rejection", "sender_issue",
                 "temporary", "unknown")


def _domain(campaign, name, mx_vendor, delivered, answers):
    """A domain of `campaign` whose MX is `mx_vendor`: `delivered` deliveries and one verdict per
    (answering vendor, verdict) in `answers`; its domain row counts them all, as the analysis writes it."""
    verdicts = {}
    for i, (vendor, verdict) in enumerate(answers):
        add_verdict(campaign, f"person{i}@{name}", verdict, vendor=vendor)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    CampaignDomainStat.objects.create(campaign=campaign, domain=name, kind="corporate", vendor=mx_vendor,
                                      recipients=delivered + len(answers), delivered=delivered,
                                      bounced=len(answers), **verdicts)


@pytest.fixture
def behind_proofpoint(org_a, org_b):
    """GIVEN a campaign where contoso-mfg.com has its MX at Microsoft 365 but Proofpoint answered three of its four
    bounces, and fabrikam-tools.com has its MX at Proofpoint; and org B with its own Proofpoint campaign."""
    campaign = make_campaign(org_a, "Spring launch")
    _domain(campaign, "contoso-mfg.com", "microsoft365", 6,
            [("proofpoint", "filter_rejection"), ("proofpoint", "filter_rejection"),
             ("proofpoint", "invalid_recipient"), ("microsoft365", "filter_rejection")])
    _domain(campaign, "fabrikam-tools.com", "proofpoint", 3,
            [("proofpoint", "sender_issue"), ("proofpoint", "invalid_recipient")])
    store_vendor_rollups(campaign.pk)  # the vendor page's rollups, as the analysis builds them
    other = make_campaign(org_b, "Borealis spring")
    _domain(other, "northwind-freight.com", "proofpoint", 2, [("proofpoint", "filter_rejection")])
    store_vendor_rollups(other.pk)
    return {"campaign": campaign, "other": other}


def _cells(row_html: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row_html, re.S)]


def _vendor_row(html: str, campaign_name: str) -> tuple[str, dict[str, int]]:
    """The vendor page's campaigns-table row of a campaign: its link and its figures."""
    for row in re.findall(r"<tr><td><a href=\"([^\"]+)\">([^<]+)</a></td>(.*?)</tr>", html, re.S):
        href, name, rest = row
        if name == campaign_name:
            cells = _cells(rest)[1:]  # after the sent date
            return unescape(href), dict(zip(VENDOR_COLUMNS, map(int, cells), strict=True))
    raise AssertionError(f"no row for {campaign_name}")


def _domain_rows(html: str) -> dict[str, dict]:
    body = html.split('id="domain-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = _cells(row)
        rows[cells[0]] = {"mx": cells[2], **dict(zip(TABLE_COLUMNS, map(int, cells[3:]), strict=True))}
    return rows


def _totals(html: str) -> dict[str, int]:
    row = re.search(r'<tr class="answered-totals">(.*?)</tr>', html, re.S).group(1)
    return dict(zip(TABLE_COLUMNS, map(int, _cells(row)[1:]), strict=True))


@pytest.mark.parametrize("who", ["viewer_a", "staff"])
def test_the_campaign_link_shows_what_the_vendor_page_counted(client, request, org_a, behind_proofpoint, who):
    client.force_login(request.getfixturevalue(who))
    vendor_page = client.get(reverse("org_vendor", args=[org_a.slug, "proofpoint"]))
    assert vendor_page.status_code == 200
    href, promised = _vendor_row(vendor_page.content.decode(), "Spring launch")
    assert href == reverse("campaign", args=[org_a.slug, behind_proofpoint["campaign"].pk]) + \
        "?answered_by=proofpoint#domains"
    # What the vendor page promised, computed from the fixture: fabrikam's 3 deliveries and 2 bounces, contoso's
    # 3 bounces that Proofpoint answered (not its 6 deliveries nor the bounce Microsoft 365 answered).
    assert promised == {"recipients": 8, "bounced": 5, "filter_rejection": 2, "sender_issue": 1,
                        "invalid_recipient": 2}

    page = client.get(href.split("#")[0])
    assert page.status_code == 200
    html = page.content.decode()
    rows = _domain_rows(html)
    assert set(rows) == {"contoso-mfg.com", "fabrikam-tools.com"}
    assert rows["contoso-mfg.com"]["mx"] == "Microsoft 365"  # its MX vendor, shown beside Proofpoint's answers
    assert rows["contoso-mfg.com"]["recipients"] == rows["contoso-mfg.com"]["bounced"] == 3
    totals = _totals(html)
    assert {k: totals[k] for k in VENDOR_COLUMNS} == promised
    assert totals == {k: sum(r[k] for r in rows.values()) for k in TABLE_COLUMNS}  # the rows add up to it
    # The page says which filter is on, and the form keeps it.
    assert 'id="answered-by"' in html and "Proofpoint" in html.split('id="answered-by"', 1)[1].split("</p>", 1)[0]
    assert re.search(r'<select name="answered_by">.*?<option value="proofpoint" selected>', html, re.S)


def test_the_mx_filter_is_another_filter(client, viewer_a, org_a, behind_proofpoint):
    """GIVEN the same campaign WHEN filtered by MX vendor (the older link's parameter) THEN only the domains whose
    MX is Proofpoint, with their whole figures, and no answered-by notice or totals."""
    client.force_login(viewer_a)
    url = reverse("campaign", args=[org_a.slug, behind_proofpoint["campaign"].pk])
    html = client.get(url, {"vendor": "proofpoint"}).content.decode()
    rows = _domain_rows(html)
    assert set(rows) == {"fabrikam-tools.com"} and rows["fabrikam-tools.com"]["recipients"] == 5
    assert 'id="answered-by"' not in html and "answered-totals" not in html
    # Both at once: the Microsoft 365 domains, with only what Proofpoint answered for there.
    rows = _domain_rows(client.get(url, {"vendor": "microsoft365", "answered_by": "proofpoint"}).content.decode())
    assert rows == {"contoso-mfg.com": {"mx": "Microsoft 365", "recipients": 3, "delivered": 0, "bounced": 3,
                                        "invalid_recipient": 1, "filter_rejection": 2, "sender_issue": 0,
                                        "temporary": 0, "unknown": 0}}


def test_the_totals_cover_every_page_of_domains(client, viewer_a, org_a, behind_proofpoint):
    campaign = behind_proofpoint["campaign"]
    for i in range(55):  # more domains than a page holds
        _domain(campaign, f"d{i:02d}.example", "proofpoint", 1, [("proofpoint", "filter_rejection")])
    store_vendor_rollups(campaign.pk)
    client.force_login(viewer_a)
    _, promised = _vendor_row(client.get(reverse("org_vendor", args=[org_a.slug, "proofpoint"])).content.decode(),
                              "Spring launch")
    html = client.get(reverse("campaign", args=[org_a.slug, campaign.pk]), {"answered_by": "proofpoint"}).content.decode()
    assert len(_domain_rows(html)) == 50
    assert {k: _totals(html)[k] for k in VENDOR_COLUMNS} == promised
    assert promised["recipients"] == 8 + 55 * 2


def test_the_domains_csv_follows_the_answered_by_filter(client, viewer_a, org_a, behind_proofpoint):
    client.force_login(viewer_a)
    url = reverse("campaign", args=[org_a.slug, behind_proofpoint["campaign"].pk])
    response = client.get(url, {"answered_by": "proofpoint", "csv": "domains"})
    assert "answered-by-proofpoint" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("domain,kind,vendor,recipients,delivered,bounced")
    assert sorted(lines[1:]) == ["contoso-mfg.com,Corporate (B2B),Microsoft 365,3,0,3,1,2,0,0,0",  # a people CSV: labels
                                 "fabrikam-tools.com,Corporate (B2B),Proofpoint,5,3,2,1,0,1,0,0"]


def test_an_unknown_vendor_turns_the_filter_off(client, viewer_a, org_a, behind_proofpoint):
    client.force_login(viewer_a)
    html = client.get(reverse("campaign", args=[org_a.slug, behind_proofpoint["campaign"].pk]),
                      {"answered_by": "no-such-vendor"}).content.decode()
    assert 'id="answered-by"' not in html and "answered-totals" not in html
    assert set(_domain_rows(html)) == {"contoso-mfg.com", "fabrikam-tools.com"}


def test_another_tenant_gets_404(client, viewer_b, org_a, org_b, behind_proofpoint):
    """GIVEN a viewer of org B WHEN they follow org A's link, or ask under their own slug for org A's campaign or
    for a vendor only org A met THEN 404."""
    client.force_login(viewer_b)
    campaign = behind_proofpoint["campaign"]
    assert client.get(reverse("campaign", args=[org_a.slug, campaign.pk]),
                      {"answered_by": "proofpoint"}).status_code == 404
    assert client.get(reverse("campaign", args=[org_b.slug, campaign.pk]),
                      {"answered_by": "proofpoint"}).status_code == 404
    assert client.get(reverse("org_vendor", args=[org_a.slug, "proofpoint"])).status_code == 404
    assert client.get(reverse("org_vendor", args=[org_b.slug, "microsoft365"])).status_code == 404
    # Their own campaign, filtered the same way, shows only their own domain.
    own = client.get(reverse("campaign", args=[org_b.slug, behind_proofpoint["other"].pk]),
                     {"answered_by": "proofpoint"}).content.decode()
    assert set(_domain_rows(own)) == {"northwind-freight.com"}
