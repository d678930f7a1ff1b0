"""Weekly review pages: one organisation's week, all organisations' week (staff), CSV, PDF, digest toggle.

A published week shows its snapshot (the figures the meeting and the digest saw, with a note
when late data revised them); a week never snapshotted (the current one, or one before the
beat ran) is computed from the rollups on the fly and says so.
"""
from __future__ import annotations

from datetime import date, timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from deliverability import i18n
from deliverability.accounts.language import organization_language
from deliverability.accounts.tenancy import Access, org_view, staff_view
from deliverability.campaigns.models import Campaign
from deliverability.ingest.values import monday_of_day
from deliverability.verdicts.explanations import shown_vendor_name

from . import figures, snapshots, weekly
from .models import DigestSubscription, WeeklySnapshot
from .queries import vendor_label
from .tables import column_name, csv_response


def _week_or_redirect(text: str, tz, url_name: str, **kwargs) -> date | HttpResponse:
    """The Monday named in the URL; another weekday redirects to its Monday; the future is 404."""
    day = weekly.parse_week(text)
    if day is None:
        raise Http404("Not a date")
    monday = monday_of_day(day)
    if monday > weekly.monday_of(timezone.now(), tz):
        raise Http404("That week has not started yet")
    if monday != day:
        return redirect(url_name, week=monday.isoformat(), **kwargs)
    return monday


def _navigation(monday: date, tz) -> dict:
    this_week = weekly.monday_of(timezone.now(), tz)
    return {"previous": (monday - weekly.WEEK).isoformat(),
            "next": (monday + weekly.WEEK).isoformat() if monday < this_week else None,
            "in_progress": monday == this_week}


def _figures(payload: dict) -> dict:
    """The week's charts, responsive (charts.js redraws them at the printed width)."""
    figs = {"trend": figures.weekly_trend(payload["trend"])}
    if any(week.get(f"hard_{verdict}") for week in payload["trend"] for verdict in figures.VERDICTS):
        figs["hard_split"] = figures.hard_bounce_split(payload["trend"])
    if payload["current"]["bounced"]:
        figs["verdicts"] = figures.verdict_mix(payload["current"]["by_verdict"])
    if any(row.get("bounced") for row in payload["by_vendor"].values()):
        figs["vendors"] = figures.bounces_by_vendor(payload["by_vendor"], title=gettext_noop("Bounces by answering vendor this week"))
    return figs


CSV_HEADER = ("section", "item", "this_week", "previous_week", "change")


def csv_rows(org_name: str, payload: dict):
    """The week's figures as (section, item, this week, previous week, change) rows, for people (tables.PeopleCsv):
    sections and measures named by the report's keys in the reader's language (column_name), labels in their words,
    numbers as numbers. Read as the download streams, in its language."""
    section = column_name
    yield (section("week"), gettext("%(org)s, %(start)s to %(end)s") % {
        "org": org_name, "start": payload["week"], "end": payload["week_end"]}, payload["week"], payload["previous_week"], "")
    for key in ("campaigns", "recipients", "delivered", "bounced", "b2b_recipients", "b2b_bounced", "b2c_recipients",
                "b2c_bounced", "reported_hard", "estimated_invalid"):
        now, before = payload["current"][key], payload["previous"][key]
        yield (section("totals"), column_name(key), now, before, now - before)
    for h in payload["headline"]:
        yield (section("rates_pct"), i18n.label(h["label"]), h["value"], h["previous"], h["delta"])
    for v in payload["verdicts"]:
        yield (section("verdict_share_pct"), i18n.label(v["label"]), v["share"], v["previous_share"], v["delta"])
    for v in payload["vendors"]:
        yield (section("vendor_rejections"), shown_vendor_name(v["name"]), v["rejections"], v["previous"], v["delta"])
    for d in payload["new_domains"]:
        yield (section("new_problem_domain"), d["domain"], d["rejections"], 0, d["rejections"])
    for c in payload["campaigns"]:
        yield (section("campaign_bounce_pct"), f"{c['name']} ({c['sent']})", c["reported_hard_rate"], "", "")


def _week_context(request: HttpRequest, monday: date) -> dict:
    org = request.org
    snapshot = WeeklySnapshot.objects.filter(organization=org, week=monday, status=WeeklySnapshot.Status.READY).first()
    payload = snapshot.payload if snapshot else snapshots.compute_week(org, monday)
    for row in payload["new_domains"]:
        row["vendor_name"] = vendor_label(row["vendor"])
    return {"org": org, "p": payload, "snapshot": snapshot, "nav": _navigation(monday, org.tzinfo),
            "subscribed": DigestSubscription.objects.filter(user=request.user, organization=org).exists()}


def _latest_week(campaigns, tz) -> date:
    """The last complete week, or, when none of `campaigns` was sent in it, the week of the latest one sent
    before it (an empty week of dashes is a dead end); the last complete week when none was."""
    monday = weekly.monday_of(timezone.now(), tz) - weekly.WEEK
    start, end = weekly.week_bounds(monday, tz)
    sent = campaigns.filter(sent_at__lt=end).order_by("-sent_at").values_list("sent_at", flat=True).first()
    return weekly.monday_of(sent, tz) if sent is not None and sent < start else monday


@org_view(Access.VIEW)
def weekly_latest(request: HttpRequest) -> HttpResponse:
    """The last complete week (the one Monday's meeting reviews); when no campaign was sent in it, the
    latest earlier week that had one (an empty week of dashes was a dead end: the demo's campaigns, and a
    client who paused sending, are weeks back), else the last complete week all the same."""
    monday = _latest_week(Campaign.objects.filter(organization=request.org), request.org.tzinfo)
    return redirect("weekly_week", org_slug=request.org.slug, week=monday.isoformat())


@org_view(Access.VIEW)
def weekly_week(request: HttpRequest, week: str) -> HttpResponse:
    org = request.org
    monday = _week_or_redirect(week, org.tzinfo, "weekly_week", org_slug=org.slug)
    if isinstance(monday, HttpResponse):
        return monday
    context = _week_context(request, monday)
    if request.GET.get("csv") == "figures":
        return csv_response(f"{org.slug}-weekly-{monday.isoformat()}", CSV_HEADER, csv_rows(org.name, context["p"]))
    return render(request, "dashboard/weekly.html", {**context, "figures": _figures(context["p"]),
                                                    "pdf_available": pdf_available()})


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there but Pango is not
        return False
    return True


def _refuse_fetch(url: str, timeout: int = 10, ssl_context=None):
    raise ValueError(f"the weekly PDF loads nothing: {url!r} refused")


@org_view(Access.VIEW)
def weekly_pdf(request: HttpRequest, week: str) -> HttpResponse:
    """The week as an A4 PDF (WeasyPrint, no network: every URL fetch is refused; the chart is inline SVG)."""
    org = request.org
    monday = _week_or_redirect(week, org.tzinfo, "weekly_pdf", org_slug=org.slug)
    if isinstance(monday, HttpResponse):
        return monday
    if not pdf_available():
        raise Http404("PDF export is not installed on this server")
    import weasyprint

    pdf = _pdf_of(pdf_page(request, org, monday), weasyprint)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-weekly-{monday.isoformat()}.pdf"'
    return response


PDF_CACHE_SECONDS = 7 * 24 * 3600


def pdf_page(request: HttpRequest, org, monday: date) -> bytes:
    """The HTML the weekly PDF is made from. The PDF is the organisation's document (forwarded, printed):
    in its language, else English, whoever downloads it (issue 23)."""
    with translation.override(organization_language(org)):
        context = _week_context(request, monday)
        return render(request, "dashboard/weekly_pdf.html", {
            **context, "trend_svg": figures.trend_svg(context["p"]["trend"]),
            "hard_split_svg": figures.hard_split_svg(context["p"]["trend"])}).content


def _pdf_of(page: bytes, weasyprint) -> bytes:
    """The PDF of the review's HTML. Laying out A4 pages takes WeasyPrint 1-2 s, and the PDF is a function
    of the HTML alone (no fetches): it is kept in the cache under the HTML's digest, so the same review asked
    again (the meeting's attendees, the digest's link) is served at once, and any changed figure, note or
    language makes new HTML and so a new PDF."""
    import hashlib

    from django.core.cache import cache

    key = "weekly-pdf:" + hashlib.sha256(page).hexdigest()
    pdf = cache.get(key)
    if pdf is None:
        pdf = weasyprint.HTML(string=page.decode(), url_fetcher=_refuse_fetch).write_pdf()
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf


@org_view(Access.VIEW)
@require_POST
def weekly_subscription(request: HttpRequest) -> HttpResponse:
    """Subscribe to (or unsubscribe from) the organisation's weekly digest."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    org = request.org
    if request.POST.get("subscribe") == "1":
        if not request.user.email:
            # The digest goes by email: without an address it would silently never come.
            messages.error(request, _("Your account has no email address, so the weekly digest cannot be sent to you. "
                                      "Ask the agency to add one to your account, then subscribe again."))
        else:
            DigestSubscription.objects.get_or_create(user=request.user, organization=org)
            messages.success(request, _("Subscribed: the weekly review of %(org)s will be emailed to %(email)s every "
                                        "Monday morning, when the week is published.")
                             % {"org": org.name, "email": request.user.email})
    else:
        DigestSubscription.objects.filter(user=request.user, organization=org).delete()
        messages.success(request, _("The weekly digest email of %(org)s is stopped.") % {"org": org.name})
    back = request.POST.get("week", "")
    if weekly.parse_week(back):
        return redirect("weekly_week", org_slug=org.slug, week=back)
    return redirect("weekly_latest", org_slug=org.slug)


@staff_view
def staff_weekly_latest(request: HttpRequest) -> HttpResponse:
    """The last complete week across all organisations, or the latest earlier week in which one sent a
    campaign when none did in it (as weekly_latest)."""
    return _staff_week(request, _latest_week(Campaign.objects.all(), timezone.get_default_timezone()))


@staff_view
def staff_weekly_week(request: HttpRequest, week: str) -> HttpResponse:
    monday = _week_or_redirect(week, timezone.get_default_timezone(), "staff_weekly_week")
    return monday if isinstance(monday, HttpResponse) else _staff_week(request, monday)


def _staff_week(request: HttpRequest, monday: date) -> HttpResponse:
    """Every organisation's week `monday` (each in its own time zone) against its previous week."""
    rows = snapshots.staff_rows(monday)
    if request.GET.get("csv") == "organizations":
        header = ("organization", "campaigns", "recipients", *(f"{key}_pct" for key, _ in weekly.HEADLINE),
                  *(f"{key}_change_pts" for key, _ in weekly.HEADLINE))
        return csv_response(f"weekly-all-clients-{monday.isoformat()}", header, (
            [r["org"].name, r["current"]["campaigns"], r["current"]["recipients"],
             *(h["value"] for h in r["headline"]), *(h["delta"] for h in r["headline"])] for r in rows))
    today = weekly.monday_of(timezone.now(), timezone.get_default_timezone())
    return render(request, "dashboard/weekly_staff.html", {
        "rows": rows, "week": monday, "week_end": monday + timedelta(days=6),
        "previous": (monday - weekly.WEEK).isoformat(),
        "next": (monday + weekly.WEEK).isoformat() if monday < today else None,
        "labels": [label for _, label in weekly.HEADLINE],
    })
