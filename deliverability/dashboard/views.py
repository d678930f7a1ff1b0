"""Dashboard pages: home, organisation, campaign, recipient, domain, vendor, search, staff views.

Every page reads the rollups (CampaignDiagnosis, CampaignDomainStat, CampaignTimeline) and the
stored verdicts; none aggregates the event table. Each table on a page is downloadable as CSV
with `?csv=<table>` (same URL, same filters, every row, formula-safe cells).
"""
from __future__ import annotations

from django.db.models import Count, Exists, F, Max, OuterRef, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from deliverability.accounts.tenancy import (
    Access,
    can_manage,
    get_for_org,
    login_view,
    org_view,
    staff_view,
    visible_organizations,
)
from deliverability.bounces.vendors import get_vendor
from deliverability.campaigns.models import Campaign, Event, Recipient, Upload
from deliverability.domains.models import Domain, DomainHistory
from deliverability.verdicts.models import (
    CampaignDiagnosis,
    CampaignDomainStat,
    CampaignSignatureStat,
    CampaignVendorStat,
    RecipientVerdict,
)

from . import figures, sharing
from . import queries as q
from .exports import address_list_response
from .tables import Order, csv_response, iterate, keyset_page, query_with

SPARKLINE_CAMPAIGNS = 12
TOP_ROWS = 100
SEARCH_MIN = 3
HISTORY_EVENTS = 1000


def _cursor(request: HttpRequest, name: str) -> str | None:
    return request.GET.get(name) or None


def _next_url(request: HttpRequest, name: str, cursor: str | None) -> str | None:
    return query_with(request, **{name: cursor, "csv": None}) if cursor else None


# --- Home ----------------------------------------------------------------------------------


@login_view
def home(request: HttpRequest) -> HttpResponse:
    orgs = visible_organizations(request.user)
    if not request.user.is_staff:
        mine = list(orgs[:2])
        if len(mine) == 1:
            return redirect("organization", org_slug=mine[0].slug)
    page = keyset_page(orgs.values("id", "name", "slug"), Order((("name", False), ("id", False))),
                       _cursor(request, "after"))
    latest = q.latest_diagnoses([o["id"] for o in page.rows], SPARKLINE_CAMPAIGNS)
    rows = []
    for org in page.rows:
        history = latest.get(org["id"], [])
        last = history[-1] if history else None
        rows.append({
            **org,
            "last": last and {
                "id": last["campaign_id"], "name": last["campaign__name"], "sent": last["campaign__sent_at"],
                "recipients": last["recipients"],
                "reported_hard": round(100 * last["reported_hard_bounce_rate"], 2),
                "invalid": round(100 * last["estimated_invalid_rate"], 2),
                "b2b": q.rate(last["b2b_bounced"], last["b2b_recipients"]),
                "b2c": q.rate(last["b2c_bounced"], last["b2c_recipients"]),
            },
            "spark": figures.sparkline_points([100 * h["reported_hard_bounce_rate"] for h in history]),
            "spark_title": ", ".join(f"{100 * h['reported_hard_bounce_rate']:.1f}%" for h in history),
        })
    return render(request, "dashboard/home.html", {
        "organizations": rows, "next_url": _next_url(request, "after", page.next_cursor),
    })


# --- Organisation --------------------------------------------------------------------------


@org_view(Access.VIEW)
def organization(request: HttpRequest) -> HttpResponse:
    org = request.org
    table = request.GET.get("csv")
    if table == "campaigns":
        return csv_response(f"{org.slug}-campaigns", q.CAMPAIGN_HEADER,
                            (q.campaign_csv_row(r, org.tzinfo) for r in iterate(q.campaign_rows(org).order_by("-id"))))
    recent = q.latest_diagnoses([org.pk], q.TREND_CAMPAIGNS, with_vendors=True).get(org.pk, [])
    vendors = q.vendor_table(figures.sum_vendors(r["by_vendor"] for r in recent))
    if table == "vendors":
        return csv_response(f"{org.slug}-vendors", q.VENDOR_HEADER, (q.vendor_csv_row(r) for r in vendors))
    page = keyset_page(q.campaign_rows(org), q.NEWEST_FIRST, _cursor(request, "after"))
    figs = {}
    if recent:
        figs["trend"] = figures.campaign_trend([q.trend_point(r, org.tzinfo) for r in recent])
        figs["vendors"] = figures.vendor_rejections({r["name"]: {**r, "by_verdict": {v: r[v] for v in q.VERDICTS}}
                                                     for r in vendors})
    endpoints = sharing.webhook_endpoints(org)
    batches = _endpoint_batches(request, endpoints)
    return render(request, "dashboard/organization.html", {
        "org": org, "figures": figs, "campaigns": [q.campaign_display(r, org.tzinfo) for r in page.rows],
        "next_url": _next_url(request, "after", page.next_cursor), "vendors": vendors[:20],
        "uploads": sharing.recent_uploads(org, request.role), "webhook_endpoints": endpoints, **batches,
        "can_manage": can_manage(request.user, org), "trend_count": len(recent),
    })


def _endpoint_batches(request: HttpRequest, endpoints: list[dict]) -> dict:
    """?batches=<endpoint id>: that endpoint's webhook batches, newest first, a page at a time."""
    wanted = request.GET.get("batches", "")
    chosen = next((e for e in endpoints if wanted.isdigit() and e["endpoint"] == int(wanted)), None)
    if chosen is None:
        return {}
    page = keyset_page(sharing.endpoint_batches(request.org, chosen["endpoint"]), q.NEWEST_FIRST,
                       _cursor(request, "batches_after"))
    return {"batches_of": chosen, "batches": page.rows,
            "batches_next_url": _next_url(request, "batches_after", page.next_cursor)}


# --- Campaign ------------------------------------------------------------------------------


@org_view(Access.VIEW)
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    org = request.org
    camp = get_for_org(Campaign, org, pk=campaign_id, awaiting_import=False)  # not while its import runs
    filters = q.DomainFilters.from_request(request)
    verdict_filter = request.GET.get("rverdict", "")
    table = request.GET.get("csv")
    if table == "domains":
        rows = iterate(q.domain_stats(camp, filters).order_by(*filters.order.order_by()))
        answered = f"-answered-by-{filters.answered_by}" if filters.answered_by else ""
        return csv_response(f"{camp.name}-domains{answered}", q.DOMAIN_HEADER, (q.domain_csv_row(r) for r in rows))
    if table == "recipients":
        rows = iterate(q.campaign_verdicts(camp, verdict_filter).order_by("-id"))
        return csv_response(f"{camp.name}-bounced-recipients", q.VERDICT_HEADER, (q.verdict_csv_row(r) for r in rows))

    diagnosis = CampaignDiagnosis.objects.filter(campaign=camp).first()
    figs = {}
    if diagnosis:
        figs = {
            "segments": figures.segment_rates(q.segments(diagnosis)),
            "verdicts": figures.verdict_mix(diagnosis.by_verdict or {}),
            "vendors": figures.bounces_by_vendor(diagnosis.by_vendor or {}),
        }
        buckets = q.timeline_buckets(camp, org)
        if buckets:
            figs["timeline"] = figures.timeline(buckets, org.timezone)
    domains = keyset_page(q.domain_stats(camp, filters), filters.order, _cursor(request, "dafter"))
    recipients = keyset_page(q.campaign_verdicts(camp, verdict_filter), q.NEWEST_FIRST, _cursor(request, "rafter"))
    # The rows on screen whose verdict says the domain's DNS could not be checked (by primary key: cheap).
    unchecked = set(RecipientVerdict.objects.filter(pk__in=[r["id"] for r in recipients.rows],
                                                    evidence__icontains="dns_unchecked").values_list("pk", flat=True))
    return render(request, "dashboard/campaign.html", {
        "org": org, "campaign": camp, "diagnosis": diagnosis, "data": diagnosis.data if diagnosis else {},
        "figures": figs,
        "domains": [{**r, "vendor_name": q.vendor_label(r["mx_vendor"])} for r in domains.rows],
        "domains_next": _next_url(request, "dafter", domains.next_cursor),
        # With ?answered_by= (the vendor page's campaign links): the rows are what that vendor answered for, and
        # their sums over every page are the vendor page's figures for this campaign.
        "answered_by": get_vendor(filters.answered_by),
        "answered_totals": q.domain_totals(camp, filters) if filters.answered_by else None,
        "all_answers_link": query_with(request, answered_by=None, dafter=None, csv=None) + "#domains",
        "recipients": [{**r, "vendor_name": q.vendor_label(r["vendor"]), "dns_unchecked": r["id"] in unchecked}
                       for r in recipients.rows],
        "recipients_next": _next_url(request, "rafter", recipients.next_cursor),
        "filters": filters, "kinds": q.DOMAIN_KINDS, "vendors": q.vendor_choices(), "verdicts": q.VERDICTS,
        "verdict_filter": verdict_filter,
        # The page's other filters, kept by the recipients' verdict form (a list: in a template,
        # request.GET.items would read a parameter named "items").
        "kept_params": [(k, v) for k, v in request.GET.items() if k not in ("rverdict", "rafter", "csv")],
        "domain_sort_link": query_with(request, sort="domain", dafter=None, csv=None) + "#domains",
        "number_columns": [(key, label, query_with(request, sort=key, dafter=None, csv=None) + "#domains")
                           for key, label in q.DOMAIN_NUMBER_COLUMNS],
        "reported_pct": round(100 * diagnosis.reported_hard_bounce_rate, 2) if diagnosis else None,
        "invalid_pct": round(100 * diagnosis.estimated_invalid_rate, 2) if diagnosis else None,
        "csv_domains": query_with(request, csv="domains", dafter=None),
        "csv_recipients": query_with(request, csv="recipients", rafter=None),
    })


@org_view(Access.VIEW)
def campaign_recovery_list(request: HttpRequest, campaign_id: int) -> HttpResponse:
    camp = get_for_org(Campaign, request.org, pk=campaign_id)
    return address_list_response(camp, RecipientVerdict.objects.filter(campaign=camp).order_by("email"), "recovery")


@org_view(Access.VIEW)
def campaign_suppress_list(request: HttpRequest, campaign_id: int) -> HttpResponse:
    camp = get_for_org(Campaign, request.org, pk=campaign_id)
    rows = RecipientVerdict.objects.filter(campaign=camp, verdict="invalid_recipient").order_by("email")
    return address_list_response(camp, rows, "suppress")


@org_view(Access.VIEW)
def campaign_recipient(request: HttpRequest, campaign_id: int, recipient_id: int) -> HttpResponse:
    """One recipient in one campaign: its verdict with the evidence, and every event with the raw text."""
    camp = get_for_org(Campaign, request.org, pk=campaign_id, awaiting_import=False)
    recipient = get_for_org(Recipient, request.org, pk=recipient_id)
    verdict = RecipientVerdict.objects.filter(campaign=camp, recipient=recipient).first()
    # Only events of finished imports (a running or lost one shows nothing until it is done).
    events = list(Event.objects.filter(recipient=recipient, campaign=camp, upload__status=Upload.Status.DONE)
                  .select_related("diagnostic")
                  .order_by("occurred_at", "id")[:HISTORY_EVENTS])
    if verdict is None and not events:
        raise Http404("This recipient was not in this campaign")
    return render(request, "dashboard/recipient.html", {
        "org": request.org, "campaign": camp, "recipient": recipient, "verdict": verdict, "events": events,
        "vendor_name": q.vendor_label(verdict.vendor) if verdict else "",
    })


# --- Domain --------------------------------------------------------------------------------


def _domain_context(name: str) -> dict:
    domain = Domain.objects.filter(name=name).first()
    history = list(DomainHistory.objects.filter(domain=domain).order_by("-observed_at", "-id")[:50]) if domain else []
    return {"name": name, "domain": domain, "history": history,
            "vendor_name": q.vendor_label(domain.vendor_id) if domain else "",
            "provider_name": q.vendor_label(domain.provider_id) if domain else ""}


@org_view(Access.VIEW)
def org_domain(request: HttpRequest, domain: str) -> HttpResponse:
    org = request.org
    name = domain.strip().lower()
    campaign_ids = q.org_campaign_ids(org)
    # The page shows the analysis's rollups and verdicts: it exists once an analysed campaign mailed the domain.
    if not CampaignDomainStat.objects.filter(campaign_id__in=campaign_ids, domain=name).exists():
        raise Http404("This organisation never mailed this domain")
    bounces = RecipientVerdict.objects.filter(campaign_id__in=campaign_ids, domain=name).values(
        *q.VERDICT_FIELDS, "campaign__name")
    stats = (CampaignDomainStat.objects.filter(campaign_id__in=campaign_ids, domain=name)
             .order_by("-campaign__sent_at", "-campaign_id")
             .values("campaign_id", "campaign__name", "campaign__sent_at", "kind", "vendor", "recipients", "delivered",
                     "bounced", *q.VERDICTS))
    table = request.GET.get("csv")
    if table == "bounces":
        return csv_response(f"{org.slug}-{name}-bounces", ("campaign",) + q.VERDICT_HEADER,
                            ([r["campaign__name"], *q.verdict_csv_row(r)] for r in iterate(bounces.order_by("-id"))))
    if table == "campaigns":
        return csv_response(f"{org.slug}-{name}-campaigns", q.DOMAIN_CAMPAIGN_HEADER,
                            (q.domain_campaign_csv_row(r, org.tzinfo) for r in iterate(stats)))
    stat_rows = list(stats[:TOP_ROWS])
    page = keyset_page(bounces, q.NEWEST_FIRST, _cursor(request, "after"))
    figs = {}
    if stat_rows:
        # Bounces alone, on their own scale: a large domain's deliveries would flatten them (the table beside
        # the chart gives the delivered counts).
        figs["campaigns"] = figures.domain_per_campaign(
            [q.per_campaign_point(r, org.tzinfo) for r in reversed(stat_rows)], name)
    return render(request, "dashboard/domain.html", {
        "org": org, **_domain_context(name), "figures": figs, "stats": stat_rows, "bounces": page.rows,
        "next_url": _next_url(request, "after", page.next_cursor), "top_rows": TOP_ROWS,
    })


@staff_view
def staff_domain(request: HttpRequest, domain: str) -> HttpResponse:
    """A domain across every client: its DNS answer and how each organisation's campaigns fared there."""
    name = domain.strip().lower()
    # The rollup, not the recipients: a consumer domain has millions of recipients across clients.
    context = _domain_context(name)
    stats = CampaignDomainStat.objects.filter(domain=name)
    if not stats.exists() and context["domain"] is None:
        raise Http404("No organisation ever mailed this domain")
    stats = (stats
             .values("campaign__organization__name", "campaign__organization__slug")
             .annotate(campaigns=Count("id"), recipients=Sum("recipients"), delivered=Sum("delivered"),
                       bounced=Sum("bounced"), **{v: Sum(v) for v in q.VERDICTS})
             .order_by("-bounced", "campaign__organization__name"))
    if request.GET.get("csv") == "organizations":
        return csv_response(f"{name}-organizations", ("organization", "campaigns", "recipients", "delivered", "bounced",
                                                      *q.VERDICTS),
                            ([r["campaign__organization__name"], r["campaigns"], r["recipients"], r["delivered"],
                              r["bounced"], *(r[v] for v in q.VERDICTS)] for r in stats))
    return render(request, "dashboard/staff_domain.html", {**context, "stats": list(stats)})


# --- Vendor --------------------------------------------------------------------------------


def _vendor_or_404(vendor_id: str):
    vendor = get_vendor(vendor_id)
    if vendor is None:
        raise Http404("Unknown vendor")
    return vendor


@org_view(Access.VIEW)
def org_vendor(request: HttpRequest, vendor_id: str) -> HttpResponse:
    """What the vendor is, the rejection signatures it answered with, affected domains and campaigns.

    Every figure is a sum of the per-campaign vendor rollups (CampaignVendorStat: recipients under the vendor
    that answered for them; CampaignSignatureStat), so the chart, the domains and the campaigns agree."""
    org = request.org
    vendor = _vendor_or_404(vendor_id)
    campaign_ids = q.org_campaign_ids(org)
    stats = CampaignVendorStat.objects.filter(campaign_id__in=campaign_ids, vendor=vendor.id)
    sums = {"recipients": Sum("recipients"), "delivered": Sum("delivered"), "bounced": Sum("bounced"),
            **{v: Sum(v) for v in q.VERDICTS}}
    per_campaign = list(stats.values("campaign_id", "campaign__name", "campaign__sent_at").annotate(**sums)
                        .order_by(F("campaign__sent_at").desc(nulls_last=True), "-campaign_id"))
    if not per_campaign:
        raise Http404("This organisation's mail never met this vendor")
    domains = (stats.values("domain").annotate(campaigns=Count("campaign_id", distinct=True), **sums)
               .order_by("-bounced", "domain"))
    table = request.GET.get("csv")
    if table == "domains":
        return csv_response(f"{org.slug}-{vendor.id}-domains", q.VENDOR_DOMAIN_HEADER,
                            (q.vendor_domain_csv_row(r) for r in domains))
    if table == "campaigns":
        return csv_response(f"{org.slug}-{vendor.id}-campaigns", q.VENDOR_CAMPAIGN_HEADER,
                            (q.vendor_campaign_csv_row(r, org.tzinfo) for r in per_campaign))
    signatures = (CampaignSignatureStat.objects.filter(campaign_id__in=campaign_ids, vendor=vendor.id)
                  .values("signature", "category").annotate(count=Sum("bounced"), example=Max("example"))
                  .order_by("-count", "signature", "category")[:30])
    if table == "signatures":
        return csv_response(f"{org.slug}-{vendor.id}-signatures", ("signature", "category", "bounces", "example"),
                            ([r["signature"], r["category"], r["count"], r["example"]] for r in signatures))
    campaigns = [q.vendor_campaign_point(r, org.tzinfo) for r in per_campaign]
    points = list(reversed(campaigns[:q.TREND_CAMPAIGNS]))
    # Bounces only, split by verdict: beside the deliveries they would be a sliver at any scale.
    figs = {"campaigns": figures.vendor_per_campaign(points, vendor.name)} if any(p["bounced"] for p in points) else {}
    return render(request, "dashboard/vendor.html", {
        "org": org, "vendor": vendor, "figures": figs, "signatures": list(signatures),
        "domains": list(domains[:TOP_ROWS]), "campaigns": campaigns, "top_rows": TOP_ROWS,
    })


@staff_view
def staff_vendors(request: HttpRequest) -> HttpResponse:
    """Every vendor across every client (from the per-campaign diagnoses)."""
    rows = CampaignDiagnosis.objects.values("campaign__organization_id", "by_vendor")
    summed = figures.sum_vendors(r["by_vendor"] for r in rows)
    vendors = q.vendor_table(summed)
    if request.GET.get("csv") == "vendors":
        return csv_response("vendors-all-clients", q.VENDOR_HEADER, (q.vendor_csv_row(r) for r in vendors))
    figs = {"vendors": figures.vendor_rejections(summed)} if vendors else {}
    return render(request, "dashboard/staff_vendors.html", {"vendors": vendors, "figures": figs})


@staff_view
def staff_vendor(request: HttpRequest, vendor_id: str) -> HttpResponse:
    vendor = _vendor_or_404(vendor_id)
    diagnoses = CampaignDiagnosis.objects.values(
        "campaign__organization__name", "campaign__organization__slug", "by_vendor")
    per_org: dict[str, dict] = {}
    for row in q.vendor_in_diagnoses(diagnoses, vendor.id):
        entry = per_org.setdefault(row["campaign__organization__slug"], {
            "name": row["campaign__organization__name"], "slug": row["campaign__organization__slug"],
            "campaigns": 0, "recipients": 0, "bounced": 0, **dict.fromkeys(q.VERDICTS, 0)})
        entry["campaigns"] += 1
        entry["recipients"] += row["entry"].get("recipients") or 0
        entry["bounced"] += row["entry"].get("bounced") or 0
        for v in q.VERDICTS:
            entry[v] += (row["entry"].get("by_verdict") or {}).get(v, 0) or 0
    orgs = sorted(per_org.values(), key=lambda r: (-r["bounced"], r["name"]))
    if request.GET.get("csv") == "organizations":
        return csv_response(f"{vendor.id}-organizations", ("organization", "campaigns", "recipients", "bounced",
                                                           *q.VERDICTS),
                            ([r["name"], r["campaigns"], r["recipients"], r["bounced"], *(r[v] for v in q.VERDICTS)]
                             for r in orgs))
    return render(request, "dashboard/staff_vendor.html", {"vendor": vendor, "organizations": orgs})


# --- Search --------------------------------------------------------------------------------


@org_view(Access.VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """Find an address (or part of it) across the organisation's campaigns and show its whole history."""
    org = request.org
    text = request.GET.get("q", "").strip().lower()[:320]
    matches, selected, verdicts, events, next_url, too_short = [], None, [], [], None, False
    if text and len(text) < SEARCH_MIN:
        too_short = True
    elif text:
        recipients = Recipient.objects.filter(organization=org)
        # An address is found once an upload that names it has finished importing.
        selected = recipients.filter(email=text).filter(Exists(Event.objects.filter(
            recipient=OuterRef("pk"), upload__status=Upload.Status.DONE))).first()
        if selected is None:
            found = q.address_matches(org, text)
            if request.GET.get("csv") == "matches":  # every match, not the page on screen
                return csv_response(f"{org.slug}-search", q.MATCH_HEADER,
                                    q.match_csv_rows(iterate(found.order_by("email")), org))
            page = keyset_page(found, Order((("email", False),)), _cursor(request, "after"))
            matches = q.with_latest_verdicts([{**row, "domain": row["email"].rpartition("@")[2]} for row in page.rows],
                                             org)
            next_url = _next_url(request, "after", page.next_cursor)
            if len(matches) == 1 and not page.next_cursor and not request.GET.get("after"):
                selected = recipients.get(pk=matches[0]["id"])
    if selected is not None:
        verdicts = list(RecipientVerdict.objects.filter(organization=org, email=selected.email)
                        .select_related("campaign").order_by("-occurred_at", "-id"))
        events = list(Event.objects.filter(recipient=selected, upload__status=Upload.Status.DONE)
                      .select_related("campaign", "diagnostic")
                      .order_by("occurred_at", "id")[:HISTORY_EVENTS])
        if request.GET.get("csv") == "history":
            return csv_response(f"{slugify(selected.email)}-history", q.EVENT_HEADER,
                                (q.event_csv_row(e, org.tzinfo) for e in events))
    elif request.GET.get("csv") == "matches":
        return csv_response(f"{org.slug}-search", q.MATCH_HEADER, (q.match_csv_row(m) for m in matches))
    return render(request, "dashboard/search.html", {
        "org": org, "q": text, "matches": matches, "selected": selected, "verdicts": verdicts, "events": events,
        "next_url": next_url, "too_short": too_short, "min_length": SEARCH_MIN, "history_limit": HISTORY_EVENTS,
    })

