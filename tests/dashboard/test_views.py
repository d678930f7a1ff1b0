"""Dashboard pages: content per role, escaping of untrusted text, hover labels, keyset tables and CSV."""
from __future__ import annotations

import csv
import io
import json
import re

from django.urls import reverse

from deliverability.verdicts.models import CampaignDomainStat
from tests.dashboard.conftest import FORMULA_DIAGNOSTIC


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _figures(response) -> dict[str, dict]:
    html = response.content.decode()
    found = {}
    for figure_id in re.findall(r'data-figure="([^"]+)"', html):
        match = re.search(rf'<script id="{figure_id}" type="application/json">(.*?)</script>', html, re.S)
        found[figure_id] = json.loads(match.group(1))
    return found


def campaign_url(org, campaign, **params):
    url = reverse("campaign", kwargs={"org_slug": org.slug, "campaign_id": campaign.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


# --- Campaign page ---------------------------------------------------------------------------


def test_campaign_page_shows_headline_four_charts_and_the_recovery_link(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    response = client.get(campaign_url(org_a, diagnosed["november"]))
    assert response.status_code == 200
    figs = _figures(response)
    assert set(figs) == {"fig-segments", "fig-verdicts", "fig-vendors", "fig-timeline"}
    assert reverse("campaign_recovery_list", args=[org_a.slug, diagnosed["november"].pk]).encode() in response.content
    assert b"plotly-basic.min.js" in response.content and b"cdn" not in response.content.lower()


def test_campaign_page_escapes_script_in_headline_advice_and_diagnostics(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    html = client.get(campaign_url(org_a, diagnosed["november"])).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # headline
    assert "&lt;script&gt;alert(&quot;pwned&quot;)" in html  # diagnostic in the recipient table
    assert "Keep 40 addresses &lt;b&gt;now&lt;/b&gt;" in html
    assert not re.search(r"<script>(?!\s*$)", html.replace('<script id=', '').replace('<script src=', ''))


def test_campaign_hover_labels_carry_counts_and_units(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    figs = _figures(client.get(campaign_url(org_a, diagnosed["november"])))
    hard = next(t for t in figs["fig-segments"]["data"] if t["name"] == "Reported hard bounces")
    assert hard["customdata"][0] == [40, 400] and hard["y"][0] == 10.0
    assert "of %{customdata[1]:,} recipients" in hard["hovertemplate"]
    assert figs["fig-timeline"]["layout"]["xaxis"]["title"]["text"] == "Time (Europe/Madrid)"
    assert max(figs["fig-timeline"]["data"][1]["y"]) == 30  # the burst
    assert figs["fig-vendors"]["data"][0]["y"][0] == "Proofpoint"


def test_campaign_without_diagnosis_says_so_and_draws_nothing(client, viewer_a, org_a):
    from tests.factories import make_campaign

    camp = make_campaign(org_a, "Not judged yet")
    client.force_login(viewer_a)
    response = client.get(campaign_url(org_a, camp))
    assert b"not computed yet" in response.content
    assert b"plotly-basic" not in response.content


def test_campaign_page_reads_rollups_in_a_few_queries(client, viewer_a, org_a, diagnosed, django_assert_max_num_queries):
    client.force_login(viewer_a)
    with django_assert_max_num_queries(12):
        client.get(campaign_url(org_a, diagnosed["november"]))


def test_domain_table_filters_by_kind_vendor_and_verdict(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    nov = diagnosed["november"]

    def domains(**params):
        html = client.get(campaign_url(org_a, nov, **params)).content.decode()
        table = html.split('id="domain-table"')[1].split("</table>")[0]
        return re.findall(r'/domains/[^"]+">([^<]+)</a>', table)

    assert domains() == ["northwind-freight.com", "gmail.com", "=cmd|&#x27; /C calc&#x27;!A0.example"]
    assert domains(kind="consumer") == ["gmail.com"]
    assert domains(vendor="proofpoint") == ["northwind-freight.com"]
    assert domains(vendor="none") == ["=cmd|&#x27; /C calc&#x27;!A0.example"]
    assert domains(verdict="invalid_recipient") == ["northwind-freight.com", "gmail.com"]
    assert domains(sort="domain")[0].startswith("=cmd")
    assert domains(sort="recipients") == ["gmail.com", "northwind-freight.com", "=cmd|&#x27; /C calc&#x27;!A0.example"]


def test_domain_table_pages_by_keyset_without_overlap(client, viewer_a, org_a, diagnosed):
    nov = diagnosed["november"]
    CampaignDomainStat.objects.bulk_create([
        CampaignDomainStat(campaign=nov, domain=f"co{i:03d}.example", kind="corporate", recipients=5, bounced=i % 7)
        for i in range(120)
    ])
    client.force_login(viewer_a)
    seen, url, pages = [], campaign_url(org_a, nov), 0
    while url:
        html = client.get(url).content.decode()
        table = html.split('id="domain-table"')[1].split("</table>")[0]
        seen += re.findall(r'/domains/[^"]+">([^<]+)</a>', table)
        nxt = re.search(r'<a href="(\?[^"]*dafter=[^"#]*)#domains">Next domains', html)
        url = campaign_url(org_a, nov) + nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 123
    bounced = {s.domain: s.bounced for s in CampaignDomainStat.objects.filter(campaign=nov)}
    order = [bounced.get(d, bounced.get(d.replace("&#x27;", "'"))) for d in seen]
    assert order == sorted(order, reverse=True)


def test_domain_and_recipient_csv_are_formula_safe(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    rows = _csv(client.get(campaign_url(org_a, diagnosed["november"], csv="domains")))
    assert rows[0][:3] == ["domain", "kind", "vendor"]
    assert [r[0] for r in rows if "calc" in r[0]] == ["'=cmd|' /C calc'!A0.example"]
    rows = _csv(client.get(campaign_url(org_a, diagnosed["november"], csv="recipients")))
    diagnostics = [r[-1] for r in rows[1:]]
    assert "'" + FORMULA_DIAGNOSTIC in diagnostics
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_recovery_list_keeps_filter_rejections_and_leaves_out_real_invalids(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    rows = _csv(client.get(reverse("campaign_recovery_list", args=[org_a.slug, diagnosed["november"].pk])))
    emails = [r[0] for r in rows[1:]]
    assert emails == ["jane.doe@northwind-freight.com"]
    assert rows[1][2] == "Filter rejection" and rows[1][6] == "Proofpoint"  # the verdict as the pages name it


def test_recovery_list_never_names_an_address_that_complained_or_unsubscribed_anywhere(client, viewer_a, org_a,
                                                                                       diagnosed):
    """Issue 21: lifting a suppression must never re-mail someone who asked to stop, whatever the verdict."""
    from tests.dashboard.conftest import SENT, add_event
    client.force_login(viewer_a)
    url = reverse("campaign_recovery_list", args=[org_a.slug, diagnosed["november"].pk])
    assert [r[0] for r in _csv(client.get(url))[1:]] == ["jane.doe@northwind-freight.com"]
    upload = diagnosed["upload"]
    for kind in ("complaint", "unsubscribe"):
        event = add_event(diagnosed["october"], upload, "jane.doe@northwind-freight.com", kind, SENT)
        assert [r[0] for r in _csv(client.get(url))[1:]] == []
        event.delete()


def test_recipient_drill_down_shows_evidence_and_raw_diagnostic_escaped(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    jane = diagnosed["jane"]
    html = client.get(reverse("campaign_recipient", args=[org_a.slug, diagnosed["november"].pk,
                                                          jane.recipient_id])).content.decode()
    assert "answering gateway is Proofpoint" in html
    assert "550 5.1.1 &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; User unknown" in html
    assert "<script>alert" not in html
    assert "<td>Delivered</td>" in html  # the event before the bounce (its label, translated where shown)


# --- Organisation and home ---------------------------------------------------------------------


def test_organization_page_plots_campaigns_over_time_and_vendors(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    response = client.get(reverse("organization", args=[org_a.slug]))
    figs = _figures(response)
    trend = figs["fig-trend"]
    assert trend["data"][0]["x"] == ["October &lt;webinar&gt; (2026-10-05)", "November product update (2026-11-02)"]
    assert trend["data"][2]["y"] == [3.0, 8.0]  # reported hard, percent
    assert figs["fig-vendors"]["data"][0]["y"][0] == "Proofpoint"
    assert b"October &lt;webinar&gt;" in response.content
    assert b"Borealis" not in response.content
    rows = _csv(client.get(reverse("organization", args=[org_a.slug]) + "?csv=campaigns"))
    assert [r[0] for r in rows[1:]] == ["November product update", "October <webinar>"]
    vendors = _csv(client.get(reverse("organization", args=[org_a.slug]) + "?csv=vendors"))
    assert vendors[1][0] == "Proofpoint" and vendors[1][2] == "2"


def test_home_lists_every_organisation_with_latest_rates_and_sparkline_for_staff(client, staff, diagnosed):
    client.force_login(staff)
    html = client.get(reverse("home")).content.decode()
    assert "Acme Industrial" in html and "Borealis Foods" in html
    assert "November product update" in html and "8.0%" in html
    assert "<polyline" in html and "3.0%, 8.0%" in html


def test_home_sends_a_single_organisation_viewer_to_it(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("organization", args=[org_a.slug])


# --- Domain, vendor, search -------------------------------------------------------------------


def test_domain_page_shows_mx_history_and_only_this_organisations_bounces(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    url = reverse("org_domain", args=[org_a.slug, "northwind-freight.com"])
    response = client.get(url)
    html = response.content.decode()
    chart = response.context["figures"]["campaigns"]
    assert "Delivered" not in {trace["name"] for trace in chart["data"]}  # bounces on their own scale
    assert chart["data"] and chart["layout"]["yaxis"]["title"]["text"] == "Bounced recipients"
    assert "mx0a-123.pphosted.com" in html and "mail.northwind-freight.com" in html  # MX now and before
    assert "Proofpoint" in html
    assert "jane.doe@northwind-freight.com" in html and "gone@northwind-freight.com" in html
    assert "secret.person" not in html and "Borealis" not in html
    assert "<script>alert" not in html
    rows = _csv(client.get(url + "?csv=bounces"))
    assert {r[1] for r in rows[1:]} == {"jane.doe@northwind-freight.com", "gone@northwind-freight.com"}
    assert len(_csv(client.get(url + "?csv=campaigns"))) == 3


def test_domain_page_is_404_for_a_domain_the_organisation_never_mailed(client, viewer_b, org_b, diagnosed):
    client.force_login(viewer_b)
    assert client.get(reverse("org_domain", args=[org_b.slug, "gmail.com"])).status_code == 404


def test_staff_domain_view_compares_organisations(client, staff, diagnosed):
    client.force_login(staff)
    html = client.get(reverse("staff_domain", args=["northwind-freight.com"])).content.decode()
    assert "Acme Industrial" in html and "Borealis Foods" in html
    rows = _csv(client.get(reverse("staff_domain", args=["northwind-freight.com"]) + "?csv=organizations"))
    assert {r[0] for r in rows[1:]} == {"Acme Industrial", "Borealis Foods"}


def test_vendor_page_shows_signatures_domains_and_campaigns(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    url = reverse("org_vendor", args=[org_a.slug, "proofpoint"])
    response = client.get(url)
    html = response.content.decode()
    assert "security gateway" in html
    assert "user_unknown" in html and "northwind-freight.com" in html
    assert "Borealis" not in html and "secret.person" not in html
    assert "fig-vendor-campaigns" in html
    signatures = _csv(client.get(url + "?csv=signatures"))
    assert all(not cell.startswith("=") for row in signatures for cell in row)
    assert len(_csv(client.get(url + "?csv=campaigns"))) == 3
    assert _csv(client.get(url + "?csv=domains"))[1][0] == "northwind-freight.com"


def test_vendor_page_is_404_for_an_unknown_vendor_or_one_never_met(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    assert client.get(reverse("org_vendor", args=[org_a.slug, "no-such-vendor"])).status_code == 404
    assert client.get(reverse("org_vendor", args=[org_a.slug, "barracuda"])).status_code == 404


def test_staff_vendor_views_cover_every_client(client, staff, diagnosed):
    client.force_login(staff)
    html = client.get(reverse("staff_vendors")).content.decode()
    assert "Proofpoint" in html and "fig-all-vendors" in html
    rows = _csv(client.get(reverse("staff_vendors") + "?csv=vendors"))
    assert rows[1][0] == "Proofpoint" and rows[1][2] == "3"
    html = client.get(reverse("staff_vendor", args=["proofpoint"])).content.decode()
    assert "Acme Industrial" in html and "Borealis Foods" in html


def test_search_finds_part_of_an_address_within_the_organisation_only(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    url = reverse("search", args=[org_a.slug])
    html = client.get(url + "?q=northwind").content.decode()
    assert "jane.doe@northwind-freight.com" in html and "gone@northwind-freight.com" in html
    assert "secret.person" not in html
    assert "secret.person" not in client.get(url + "?q=secret").content.decode()
    assert "at least 3" in client.get(url + "?q=ja").content.decode()
    html = client.get(url + "?q=@northwind-freight.com").content.decode()
    assert "gone@northwind-freight.com" in html


def test_search_for_one_address_shows_its_whole_history_with_every_diagnostic(client, viewer_a, org_a, diagnosed):
    client.force_login(viewer_a)
    url = reverse("search", args=[org_a.slug])
    html = client.get(url + "?q=Jane.Doe@northwind-freight.com").content.decode()
    assert "October &lt;webinar&gt;" in html and "November product update" in html
    assert "452 4.2.2 over quota" in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)" in html and "<script>alert" not in html
    rows = _csv(client.get(url + "?q=jane.doe@northwind-freight.com&csv=history"))
    assert [r[2] for r in rows[1:]] == ["bounce", "delivered", "bounce"]
