"""Reads for the dashboard pages: rollup rows → plain dicts for the figure builders and tables.

Only the rollup tables (CampaignDiagnosis, CampaignDomainStat, CampaignTimeline) and the
stored verdicts are read here; the event table is read only for one recipient's own events,
by the (recipient, occurred_at) index.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.db import connection, transaction
from django.db.models import BooleanField, Expression, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from deliverability import i18n
from deliverability.accounts.models import Organization
from deliverability.bounces.vendors import all_vendors, get_vendor
from deliverability.campaigns.models import Campaign, Event, Recipient, RecipientSearch, Upload
from deliverability.domains.kinds import DomainKind
from deliverability.verdicts.explanations import shown_vendor_name
from deliverability.verdicts.models import (
    CampaignDiagnosis,
    CampaignDomainStat,
    CampaignTimeline,
    CampaignVendorStat,
    RecipientVerdict,
)
from deliverability.verdicts.vocabulary import VerdictKind

from . import figures
from .tables import Label, Order
from .templatetags.labels import label

VERDICTS = figures.VERDICTS
DOMAIN_KINDS = [*i18n.choices(DomainKind), ("unknown", i18n.gettext_lazy("Not yet known"))]
TREND_CAMPAIGNS = 52  # the organisation page plots the latest year of weekly campaigns

DOMAIN_SORTS: dict[str, Order] = {
    "bounced": Order((("bounced", True), ("domain", False))),
    "recipients": Order((("recipients", True), ("domain", False))),
    "delivered": Order((("delivered", True), ("domain", False))),
    "domain": Order((("domain", False),)),
    **{verdict: Order(((verdict, True), ("domain", False))) for verdict in VERDICTS},
}
NEWEST_FIRST = Order((("id", True),))
DOMAIN_NUMBER_COLUMNS = [("recipients", i18n.gettext_lazy("Recipients")), ("delivered", i18n.gettext_lazy("Delivered")),
                         ("bounced", i18n.gettext_lazy("Bounced")),
                         *((v, i18n.gettext_lazy(figures.VERDICT_LABELS[v])) for v in VERDICTS)]


def vendor_label(vendor_id: str | None) -> str:
    if not vendor_id:
        return ""
    vendor = get_vendor(vendor_id)
    return vendor.name if vendor else vendor_id


def vendor_choices() -> list[tuple[str, str]]:
    return sorted(((v.id, v.name) for v in all_vendors().values()), key=lambda item: item[1].lower())


def rate(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 2) if whole else None


# --- Campaign ------------------------------------------------------------------------------


def segments(diagnosis: CampaignDiagnosis) -> dict[str, dict]:
    """B2B / B2C figures for figures.segment_rates, from the diagnosis row and its data JSON."""
    data = diagnosis.data or {}
    result = {}
    for name, key, recipients, bounced in (
        ("B2B", "b2b", diagnosis.b2b_recipients, diagnosis.b2b_bounced),
        ("B2C", "b2c", diagnosis.b2c_recipients, diagnosis.b2c_bounced),
    ):
        seg = data.get(key) or {}
        result[name] = {
            "recipients": recipients,
            "bounced": bounced,
            "reported_hard": seg.get("reported_hard_bounces") or 0,
            "invalid": round((seg.get("estimated_invalid_rate") or 0) * recipients),
        }
    return result


def timeline_buckets(campaign: Campaign, org: Organization) -> list[dict]:
    tz = org.tzinfo
    return [
        {"minute": row["minute"].astimezone(tz), "delivered": row["delivered"], "bounced": row["bounced"],
         "deferred": row["deferred"]}
        for row in CampaignTimeline.objects.filter(campaign=campaign).order_by("minute")
        .values("minute", "delivered", "bounced", "deferred")
    ]


@dataclass
class DomainFilters:
    """The campaign page's domain-table filters. `vendor` is the domain's MX vendor (its DNS fingerprint);
    `answered_by` is the vendor that answered for the recipients (the bounce's answering server, as the vendor
    page counts them): with it, each row holds only the recipients that vendor answered for at the domain."""

    kind: str = ""
    vendor: str = ""
    verdict: str = ""
    sort: str = "bounced"
    answered_by: str = ""

    @classmethod
    def from_request(cls, request) -> DomainFilters:
        kind = request.GET.get("kind", "")
        verdict = request.GET.get("verdict", "")
        sort = request.GET.get("sort", "bounced")
        answered_by = request.GET.get("answered_by", "")
        return cls(
            kind=kind if kind in dict(DOMAIN_KINDS) else "",
            vendor=request.GET.get("vendor", "")[:40],
            verdict=verdict if verdict in VERDICTS else "",
            sort=sort if sort in DOMAIN_SORTS else "bounced",
            answered_by=answered_by if get_vendor(answered_by) else "",
        )

    def apply(self, qs: QuerySet) -> QuerySet:
        if self.kind:
            qs = qs.filter(kind="" if self.kind == "unknown" else self.kind)
        if self.vendor:
            qs = qs.filter(mx_vendor="" if self.vendor == "none" else self.vendor)
        if self.verdict:
            qs = qs.filter(**{f"{self.verdict}__gt": 0})
        return qs

    @property
    def order(self) -> Order:
        return DOMAIN_SORTS[self.sort]


DOMAIN_NUMBERS = ("recipients", "delivered", "bounced", *VERDICTS)
DOMAIN_FIELDS = ("id", "domain", "kind", "mx_vendor", *DOMAIN_NUMBERS)
DOMAIN_HEADER = ("domain", "kind", "vendor", *DOMAIN_NUMBERS)


def _domain_rows(campaign: Campaign, filters: DomainFilters) -> QuerySet:
    if not filters.answered_by:
        return filters.apply(CampaignDomainStat.objects.filter(campaign=campaign).annotate(mx_vendor=F("vendor")))
    # The vendor page's rollup rows of this campaign and vendor, with each domain's kind and MX vendor beside them
    # (from its domain row: (campaign, domain) is unique).
    domain = CampaignDomainStat.objects.filter(campaign=campaign, domain=OuterRef("domain"))
    return filters.apply(CampaignVendorStat.objects.filter(campaign=campaign, vendor=filters.answered_by).annotate(
        kind=Coalesce(Subquery(domain.values("kind")), Value("")),
        mx_vendor=Coalesce(Subquery(domain.values("vendor")), Value(""))))


def domain_stats(campaign: Campaign, filters: DomainFilters) -> QuerySet:
    """The domain table's rows: each domain's figures (CampaignDomainStat), or, with `answered_by`, the figures of
    the recipients that vendor answered for at each domain (CampaignVendorStat, the rows the vendor page sums)."""
    return _domain_rows(campaign, filters).values(*DOMAIN_FIELDS)


def domain_totals(campaign: Campaign, filters: DomainFilters) -> dict[str, int]:
    """The sums of every row `domain_stats` gives (all pages): with only `answered_by`, the vendor page's row
    for this campaign."""
    sums = _domain_rows(campaign, filters).aggregate(**{n: Sum(n) for n in DOMAIN_NUMBERS})
    return {n: sums[n] or 0 for n in DOMAIN_NUMBERS}


# The CSV rows below are for people (tables.PeopleCsv): a vocabulary value is a Label, written as the pages show
# it (its label in the reader's language); a number is a number (written as the reader does); codes as the
# receiving server wrote them.


def domain_csv_row(row: dict) -> list:
    return [row["domain"], Label(row["kind"]), vendor_label(row["mx_vendor"]), *(row[n] for n in DOMAIN_NUMBERS)]


VERDICT_FIELDS = ("id", "recipient_id", "campaign_id", "email", "domain", "outcome", "occurred_at", "category",
                  "reply_code", "enhanced_status", "vendor", "domain_kind", "verdict", "confidence",
                  "override_verdict", "diagnostic")
VERDICT_HEADER = ("email", "domain", "outcome", "occurred_at", "verdict", "confidence", "overridden", "category",
                  "reply_code", "enhanced_status", "vendor", "domain_kind", "diagnostic")


def verdict_csv_row(row: dict) -> list:
    return [row["email"], row["domain"], Label(row["outcome"]),
            row["occurred_at"].isoformat() if row["occurred_at"] else "", Label(row["verdict"]),
            Decimal(f"{row['confidence']:.2f}"), bool(row["override_verdict"]), row["category"],
            row["reply_code"] or "", row["enhanced_status"], vendor_label(row["vendor"]), Label(row["domain_kind"]),
            row["diagnostic"]]


def campaign_verdicts(campaign: Campaign, verdict: str = "", domain: str = "") -> QuerySet:
    qs = RecipientVerdict.objects.filter(campaign=campaign)
    if verdict in VERDICTS:
        qs = qs.filter(verdict=verdict)
    if domain:
        qs = qs.filter(domain=domain)
    return qs.values(*VERDICT_FIELDS)


# --- Organisation --------------------------------------------------------------------------


def campaign_rows(org: Organization) -> QuerySet:
    """Campaigns with their headline figures (diagnosis fields are None until judged)."""
    return (Campaign.objects.filter(organization=org, awaiting_import=False)  # none of a running import
            .values("id", "name", "sent_at", "diagnosis__recipients", "diagnosis__bounced",
                    "diagnosis__reported_hard_bounce_rate", "diagnosis__estimated_invalid_rate",
                    "diagnosis__b2b_recipients", "diagnosis__b2b_bounced", "diagnosis__b2c_recipients",
                    "diagnosis__b2c_bounced"))


def trend_point(row: dict, tz) -> dict:
    sent = row.get("sent_at") or row.get("campaign__sent_at")
    return {
        "name": row.get("name") or row.get("campaign__name"),
        "sent": sent.astimezone(tz).strftime("%Y-%m-%d") if sent else "",
        "recipients": row.get("recipients") or 0,
        "b2b_rate": rate(row.get("b2b_bounced"), row.get("b2b_recipients")),
        "b2c_rate": rate(row.get("b2c_bounced"), row.get("b2c_recipients")),
        "reported_hard_rate": round(100 * (row.get("reported_hard_bounce_rate") or 0), 2),
        "estimated_invalid_rate": round(100 * (row.get("estimated_invalid_rate") or 0), 2),
    }


DIAGNOSIS_FIELDS = ("campaign_id", "campaign__name", "campaign__sent_at", "recipients", "bounced",
                    "reported_hard_bounce_rate", "estimated_invalid_rate", "b2b_recipients", "b2b_bounced",
                    "b2c_recipients", "b2c_bounced")


def latest_diagnoses(org_ids: Iterable[int], per_org: int, with_vendors: bool = False) -> dict[int, list[dict]]:
    """The latest `per_org` judged campaigns of each organisation, oldest first."""
    fields = DIAGNOSIS_FIELDS + ("campaign__organization_id",) + (("by_vendor",) if with_vendors else ())
    rows = (CampaignDiagnosis.objects.filter(campaign__organization_id__in=list(org_ids))
            .order_by("campaign__organization_id", "-campaign__sent_at", "-campaign_id").values(*fields))
    result: dict[int, list[dict]] = {}
    for row in rows:
        bucket = result.setdefault(row["campaign__organization_id"], [])
        if len(bucket) < per_org:
            bucket.append(row)
    for bucket in result.values():
        bucket.reverse()
    return result


def vendor_table(summed: dict[str, dict]) -> list[dict]:
    rows = []
    for name, row in summed.items():
        if not row["bounced"]:
            continue
        verdicts = row["by_verdict"]
        rows.append({"name": shown_vendor_name(name), "vendor_id": row.get("vendor_id") or "", "category": row.get("category") or "",
                     "bounced": row["bounced"], "recipients": row["recipients"], "campaigns": row["campaigns"],
                     **verdicts})
    rows.sort(key=lambda r: (-(r[VerdictKind.FILTER_REJECTION] + r[VerdictKind.SENDER_ISSUE]), -r["bounced"], r["name"]))
    return rows


VENDOR_HEADER = ("vendor", "category", "campaigns", "recipients", "bounced", *VERDICTS)


def vendor_csv_row(row: dict) -> list:
    return [row["name"], Label(row["category"]), row["campaigns"], row["recipients"], row["bounced"],
            *(row[v] for v in VERDICTS)]


def org_campaign_ids(org: Organization) -> list[int]:
    return list(Campaign.objects.filter(organization=org, awaiting_import=False).values_list("id", flat=True))


def vendor_in_diagnoses(rows: Iterable[dict], vendor_id: str) -> list[dict]:
    """Per campaign, the by_vendor entry for `vendor_id` (campaigns without it are left out)."""
    found = []
    for row in rows:
        for entry in (row.get("by_vendor") or {}).values():
            if entry.get("vendor_id") == vendor_id:
                found.append({**row, "entry": entry})
                break
    return found







def _day(moment, tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d") if moment else ""


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else round(100 * fraction, 2)


CAMPAIGN_HEADER = ("campaign", "sent", "recipients", "bounced", "reported_hard_bounce_rate_pct",
                   "estimated_invalid_rate_pct", "b2b_recipients", "b2b_bounce_rate_pct", "b2c_recipients",
                   "b2c_bounce_rate_pct")


def campaign_display(row: dict, tz) -> dict:
    return {
        "id": row["id"], "name": row["name"], "sent": _day(row["sent_at"], tz),
        "judged": row["diagnosis__recipients"] is not None,
        "recipients": row["diagnosis__recipients"], "bounced": row["diagnosis__bounced"],
        "reported_hard": _pct(row["diagnosis__reported_hard_bounce_rate"]),
        "invalid": _pct(row["diagnosis__estimated_invalid_rate"]),
        "b2b_recipients": row["diagnosis__b2b_recipients"],
        "b2b": rate(row["diagnosis__b2b_bounced"], row["diagnosis__b2b_recipients"]),
        "b2c_recipients": row["diagnosis__b2c_recipients"],
        "b2c": rate(row["diagnosis__b2c_bounced"], row["diagnosis__b2c_recipients"]),
    }


def campaign_csv_row(row: dict, tz) -> list:
    d = campaign_display(row, tz)
    return [d["name"], d["sent"], d["recipients"], d["bounced"], d["reported_hard"], d["invalid"],
            d["b2b_recipients"], d["b2b"], d["b2c_recipients"], d["b2c"]]


DOMAIN_CAMPAIGN_HEADER = ("campaign", "sent", "kind", "vendor", "recipients", "delivered", "bounced", *VERDICTS)


def domain_campaign_csv_row(row: dict, tz) -> list:
    return [row["campaign__name"], _day(row["campaign__sent_at"], tz), Label(row["kind"]), vendor_label(row["vendor"]),
            row["recipients"], row["delivered"], row["bounced"], *(row[v] for v in VERDICTS)]


def per_campaign_point(row: dict, tz) -> dict:
    """A CampaignDomainStat row (with campaign name/date) for figures.per_campaign_outcomes."""
    return {"name": row["campaign__name"], "sent": _day(row["campaign__sent_at"], tz),
            "delivered": row["delivered"], **{v: row[v] for v in VERDICTS}}


VENDOR_DOMAIN_HEADER = ("domain", "campaigns", "recipients", "delivered", "bounced", *VERDICTS)


def vendor_domain_csv_row(row: dict) -> list:
    return [row["domain"], row["campaigns"], row["recipients"], row["delivered"], row["bounced"],
            *(row[v] for v in VERDICTS)]


VENDOR_CAMPAIGN_HEADER = ("campaign", "sent", "recipients_at_vendor", "bounced_at_vendor", *VERDICTS)


def vendor_campaign_point(row: dict, tz) -> dict:
    """A campaign's CampaignVendorStat sums (with campaign name/date) for the vendor page and its chart."""
    return {"id": row["campaign_id"], "name": row["campaign__name"], "sent": _day(row["campaign__sent_at"], tz),
            "recipients": row["recipients"] or 0, "bounced": row["bounced"] or 0, "delivered": row["delivered"] or 0,
            **{v: row[v] or 0 for v in VERDICTS}}


def vendor_campaign_csv_row(row: dict, tz) -> list:
    p = vendor_campaign_point(row, tz)
    return [p["name"], p["sent"], p["recipients"], p["bounced"], *(p[v] for v in VERDICTS)]


class OneOf(Expression):
    """`field` is one of `values`, as one array parameter on PostgreSQL (`= ANY(%s)`): a chunk of 2,000 ids
    written as `IN (%s, …)` cost more in Django's per-value preparation and psycopg's parsing of 2,000
    placeholders (~10 ms a list, under a profiler) than the query itself. Elsewhere (SQLite) the `IN` list."""

    output_field = BooleanField()

    def __init__(self, field: str, values: Iterable[int]):
        super().__init__()
        self.column, self.values = F(field), list(values)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.column = self.column.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return resolved

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s)", [*params, self.values]
        return f"{column} IN ({', '.join(['%s'] * len(self.values))})", [*params, *self.values]


def address_matches(org: Organization, text: str) -> QuerySet:
    """The organisation's addresses that contain `text` (the search table's trigram index), or, for "@domain",
    every address at that domain: dicts with "email" and the recipient's "id". The search table is filled by
    each upload's analysis (see RecipientSearch)."""
    if text.startswith("@"):
        found = RecipientSearch.objects.filter(organization=org, domain=text[1:])
    else:
        found = RecipientSearch.objects.filter(organization=org, email__contains=text)
    return found.values("email", id=F("recipient_id"))


class LatestVerdicts:
    """Search matches' latest verdicts and campaigns, read for a page of matches or chunk after chunk of a
    download: per chunk one query for the verdicts of its addresses (by recipient id, DISTINCT ON on
    PostgreSQL), one for the latest campaign of those that never bounced (each address's newest event of a
    finished upload, read backwards on the (recipient, time) index: one or two events per address, however
    many campaigns it was in), and the names of campaigns not met yet; the organisation's finished uploads
    once. No query per match.

    By recipient rather than by (organisation, address): the same rows (a verdict carries its recipient's
    organisation and address), but for a list of addresses PostgreSQL read every verdict of the organisation
    (its organisation index, then the wide rows)."""

    def __init__(self, org: Organization):
        self.org = org
        self.uploads: list[int] | None = None
        self.names: dict[int, str] = {}

    def fill(self, matches: list[dict]) -> list[dict]:
        """Each match (a dict with "email" and the recipient's "id") given "verdict" (or ""), "campaign_id" (or
        None) and "campaign_name": its latest verdict's, or for an address that never bounced its latest
        campaign's."""
        if not matches:
            return matches
        ids = [m["id"] for m in matches]
        sent: dict[int, int] = {}
        # No savepoint: inside a download's transaction the settings below last until its end, which suits it.
        with transaction.atomic(savepoint=False):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Each address's events through the (recipient, time) index alone: at 10M events the planner
                    # ANDed it with the upload BRIN index, ~5 ms per address and upload (2,000 addresses: 30 s).
                    # No JIT: compiling a 2,000-address query took longer (~250 ms at 1M events) than running it.
                    cursor.execute("SELECT set_config('enable_bitmapscan', 'off', true), "
                                   "set_config('jit', 'off', true)")
            latest = self._verdicts(ids)
            never = [i for i in ids if i not in latest]
            if never:
                sent = self._last_campaigns(never)
        wanted = ({c for _, c in latest.values()} | set(sent.values())) - set(self.names)
        if wanted:
            self.names.update(Campaign.objects.filter(pk__in=wanted).values_list("pk", "name"))
        for match in matches:
            verdict, campaign_id = latest.get(match["id"]) or ("", sent.get(match["id"]))
            match.update(verdict=verdict, campaign_id=campaign_id, campaign_name=self.names.get(campaign_id, ""))
        return matches

    def _verdicts(self, ids: list[int]) -> dict[int, tuple[str, int]]:
        """Recipient id → (verdict, campaign id) of its latest verdict (latest time, none last, then highest id):
        DISTINCT ON where the database has it (PostgreSQL); elsewhere (SQLite) the older rows are skipped here."""
        rows = (RecipientVerdict.objects.filter(OneOf("recipient_id", ids), organization=self.org)
                .order_by("recipient_id", F("occurred_at").desc(nulls_last=True), "-id")
                .values_list("recipient_id", "verdict", "campaign_id"))
        if connection.features.can_distinct_on_fields:
            rows = rows.distinct("recipient_id")
        latest: dict[int, tuple[str, int]] = {}
        for recipient_id, verdict, campaign_id in rows:
            latest.setdefault(recipient_id, (verdict, campaign_id))
        return latest

    def _last_campaigns(self, ids: list[int]) -> dict[int, int]:
        """Recipient id → campaign of its latest event in a finished upload (latest time, then highest id; events
        without a time only when it has no other), for the recipients that have one."""
        if self.uploads is None:
            self.uploads = list(Upload.objects.filter(organization=self.org, status=Upload.Status.DONE)
                                .values_list("pk", flat=True))
        events = Event.objects.filter(recipient_id=OuterRef("pk"), upload_id__in=self.uploads)
        dated = events.filter(occurred_at__isnull=False).order_by("-occurred_at", "-id").values("campaign_id")[:1]
        undated = events.filter(occurred_at__isnull=True).order_by("-id").values("campaign_id")[:1]
        rows = (Recipient.objects.filter(OneOf("id", ids), organization=self.org)
                .annotate(last=Coalesce(Subquery(dated), Subquery(undated))).values_list("pk", "last"))
        return {recipient_id: campaign_id for recipient_id, campaign_id in rows if campaign_id is not None}


def with_latest_verdicts(matches: list[dict], org: Organization) -> list[dict]:
    """A page of search matches given each address's latest verdict and campaign (see LatestVerdicts)."""
    return LatestVerdicts(org).fill(matches)


def match_csv_rows(found: Iterable[dict], org: Organization, chunk: int = 2000, first: int = 100) -> Iterator[list]:
    """The matches CSV's rows, the verdicts read a chunk of matches at a time (a small first chunk: the
    download starts at once)."""
    rows, size, reader = iter(found), first, LatestVerdicts(org)
    while batch := [dict(row) for row in islice(rows, size)]:
        yield from (match_csv_row(m) for m in reader.fill(batch))
        size = chunk


MATCH_HEADER = ("email", "domain", "latest_verdict", "latest_verdict_words", "campaign")


def match_csv_row(row: dict) -> list:
    """A search match: the verdict's key and its words in the reader's language, the campaign."""
    return [row["email"], row["email"].rpartition("@")[2], row["verdict"] or "",
            label(row["verdict"]) if row["verdict"] else "", row["campaign_name"] or ""]


EVENT_HEADER = ("occurred_at", "campaign", "type", "reply_code", "enhanced_status", "category", "signature",
                "vendor", "remote_mta", "diagnostic")


def event_csv_row(event, tz) -> list:
    return [event.occurred_at.astimezone(tz).isoformat() if event.occurred_at else "", event.campaign.name,
            event.type, event.reply_code or "", event.enhanced_status, event.category, event.signature,
            vendor_label(event.bounce_vendor), event.remote_mta, event.diagnostic.text if event.diagnostic else ""]
