"""Tables: keyset pagination (no COUNT, no OFFSET) and formula-safe CSV downloads.

A page of a list that can grow to millions of rows is read as "the next N rows after this
cursor" on an indexed ordering; the cursor holds the last row's sort values, signed. There is no
total and no page numbers: counting millions of rows is what the rollups exist to avoid.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import BadRequest
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils.dateparse import parse_datetime
from django.utils.formats import get_format, number_format
from django.utils.text import slugify
from django.utils.translation import get_language, override, pgettext, pgettext_lazy

from deliverability.verdicts.exports import safe_cell

PAGE_SIZE = 50


# The keys of the product's own CSV reports (not the files made for an ESP, which keep that ESP's format): their
# column names, and the weekly report's sections and measures. Marked for the catalogues: English keeps the plain
# keys, Catalan and Spanish get words in the same snake_case style (issue 23). Written through `column_name`.
CSV_COLUMNS = (
    pgettext_lazy("CSV column", "b2b_bounce_rate_pct"),
    pgettext_lazy("CSV column", "b2b_rate_change_pts"),
    pgettext_lazy("CSV column", "b2b_rate_pct"),
    pgettext_lazy("CSV column", "b2b_recipients"),
    pgettext_lazy("CSV column", "b2c_bounce_rate_pct"),
    pgettext_lazy("CSV column", "b2c_rate_change_pts"),
    pgettext_lazy("CSV column", "b2c_rate_pct"),
    pgettext_lazy("CSV column", "b2c_recipients"),
    pgettext_lazy("CSV column", "bounced"),
    pgettext_lazy("CSV column", "bounced_at_vendor"),
    pgettext_lazy("CSV column", "bounces"),
    pgettext_lazy("CSV column", "campaign"),
    pgettext_lazy("CSV column", "campaigns"),
    pgettext_lazy("CSV column", "category"),
    pgettext_lazy("CSV column", "change"),
    pgettext_lazy("CSV column", "confidence"),
    pgettext_lazy("CSV column", "delivered"),
    pgettext_lazy("CSV column", "diagnostic"),
    pgettext_lazy("CSV column", "domain"),
    pgettext_lazy("CSV column", "domain_kind"),
    pgettext_lazy("CSV column", "email"),
    pgettext_lazy("CSV column", "enhanced_status"),
    pgettext_lazy("CSV column", "estimated_invalid_rate_change_pts"),
    pgettext_lazy("CSV column", "estimated_invalid_rate_pct"),
    pgettext_lazy("CSV column", "example"),
    pgettext_lazy("CSV column", "filter_rejection"),
    pgettext_lazy("CSV column", "invalid_recipient"),
    pgettext_lazy("CSV column", "item"),
    pgettext_lazy("CSV column", "kind"),
    pgettext_lazy("CSV column", "latest_verdict"),
    pgettext_lazy("CSV column", "latest_verdict_words"),
    pgettext_lazy("CSV column", "occurred_at"),
    pgettext_lazy("CSV column", "organization"),
    pgettext_lazy("CSV column", "outcome"),
    pgettext_lazy("CSV column", "overridden"),
    pgettext_lazy("CSV column", "previous_week"),
    pgettext_lazy("CSV column", "recipients"),
    pgettext_lazy("CSV column", "recipients_at_vendor"),
    pgettext_lazy("CSV column", "remote_mta"),
    pgettext_lazy("CSV column", "reply_code"),
    pgettext_lazy("CSV column", "reported_hard_bounce_rate_pct"),
    pgettext_lazy("CSV column", "reported_hard_rate_change_pts"),
    pgettext_lazy("CSV column", "reported_hard_rate_pct"),
    pgettext_lazy("CSV column", "section"),
    pgettext_lazy("CSV column", "sender_issue"),
    pgettext_lazy("CSV column", "sent"),
    pgettext_lazy("CSV column", "signature"),
    pgettext_lazy("CSV column", "temporary"),
    pgettext_lazy("CSV column", "this_week"),
    pgettext_lazy("CSV column", "type"),
    pgettext_lazy("CSV column", "unknown"),
    pgettext_lazy("CSV column", "vendor"),
    pgettext_lazy("CSV column", "verdict"),
    # the recovery and suppress lists
    pgettext_lazy("CSV column", "evidence"),
    pgettext_lazy("CSV column", "reported_by_esp"),
    # the weekly report: its sections, and the measures of its totals
    pgettext_lazy("CSV column", "week"),
    pgettext_lazy("CSV column", "totals"),
    pgettext_lazy("CSV column", "rates_pct"),
    pgettext_lazy("CSV column", "verdict_share_pct"),
    pgettext_lazy("CSV column", "vendor_rejections"),
    pgettext_lazy("CSV column", "new_problem_domain"),
    pgettext_lazy("CSV column", "campaign_bounce_pct"),
    pgettext_lazy("CSV column", "b2b_bounced"),
    pgettext_lazy("CSV column", "b2c_bounced"),
    pgettext_lazy("CSV column", "reported_hard"),
    pgettext_lazy("CSV column", "estimated_invalid"),
)


def column_name(key: str) -> str:
    """A CSV column's name in the active language (the key itself in English or when not in the catalogue)."""
    return pgettext("CSV column", key)


@dataclass(frozen=True)
class Order:
    """An ordering of (field, descending) pairs; the last must be unique (the tiebreak)."""

    fields: tuple[tuple[str, bool], ...]

    def order_by(self) -> list[str]:
        return [("-" if desc else "") + name for name, desc in self.fields]


def _salt(order: Order) -> str:
    # A cursor is only valid for the ordering that made it.
    return "tables.cursor:" + ",".join(order.order_by())


def _encode(values: list, order: Order) -> str:
    plain = [v.isoformat() if isinstance(v, (datetime, date)) else v for v in values]
    return signing.dumps(plain, salt=_salt(order))


def _decode(cursor: str, order: Order) -> list:
    """The sort values in a cursor this server made; a forged or damaged one is a bad request.

    Cursors are signed: their values go into the query as they are, and a value of the wrong
    type (a word where an id is compared) would otherwise fail inside the database."""
    try:
        values = signing.loads(cursor, salt=_salt(order))
    except (signing.BadSignature, ValueError, TypeError):
        raise BadRequest("This page link is damaged or out of date; go back to the first page.") from None
    if not isinstance(values, list) or len(values) != len(order.fields):
        raise BadRequest("This page link is damaged or out of date; go back to the first page.")
    decoded = []
    for value in values:
        if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
            value = parse_datetime(value) or value
        decoded.append(value)
    return decoded


def _after(order: Order, values: list) -> Q:
    """Rows strictly after `values` in `order` (lexicographic), as one Q."""
    condition = Q(pk__in=[])
    for i, (name, desc) in enumerate(order.fields):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{order.fields[j][0]: values[j]})
        condition |= step
    return condition


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def keyset_page(qs: QuerySet, order: Order, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """The `size` rows after `cursor` (None: the first page) and the cursor of the next page."""
    values = _decode(cursor, order) if cursor else None
    if values is not None and None not in values:
        qs = qs.filter(_after(order, values))
    rows = list(qs.order_by(*order.order_by())[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = _encode([_get(last, name) for name, _ in order.fields], order)
    return Page(rows, next_cursor)


def _get(row, name: str):
    return row[name] if isinstance(row, dict) else getattr(row, name)


def query_with(request, **changes) -> str:
    """The current query string with some parameters changed (None removes one)."""
    params = dict(request.GET.items())
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(params) if params else "?"


# --- CSV ---------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


class Label(str):
    """A vocabulary key (a verdict, a domain or vendor kind, an event type) that a people's CSV writes as the pages
    show it: its label in the reader's language ("" for none)."""

    __slots__ = ()

    def __new__(cls, key: str | None) -> Label:
        return super().__new__(cls, key or "")


class Words(str):
    """English words of the catalogue that a people's CSV writes in the reader's language."""

    __slots__ = ()


class PeopleCsv:
    """How the product's reports for people are written (issue 23; the files made for an ESP are not: they keep
    that ESP's format). Opened in Excel as they are, in the reader's language:

    - UTF-8 with a byte-order mark (Excel reads UTF-8 only with one);
    - the column names are keys in the reader's language (`column_name`);
    - a Label cell is written as the pages show it, a Words cell in the reader's words; a number (float or Decimal)
      with the reader's decimal separator (25.37, 25,37), counts without grouping; a bool is "yes" / "no" in the
      reader's words; other text as the row gives it (names, codes, sentences already in the reader's language);
    - cells are separated by ";" where the decimal separator is a comma (Catalan, Spanish: Excel's list separator
      there, and a "25,37" between commas would be one more column), by "," elsewhere;
    - every cell passes through verdicts.exports.safe_cell (formula injection).

    The language is the one active when the download is made; the body, which streams later, is written in it.
    Labels and words are translated once per download (a list has a handful of distinct ones)."""

    def __init__(self) -> None:
        self.language = get_language()
        self._decimal = str(get_format("DECIMAL_SEPARATOR"))
        self.delimiter = ";" if self._decimal == "," else ","
        self._writer = csv.writer(_Echo(), delimiter=self.delimiter, lineterminator="\r\n")
        self._yes, self._no = pgettext("CSV value", "yes"), pgettext("CSV value", "no")
        self._translated: dict[tuple[type, str], str] = {}

    def cell(self, value: object) -> str:
        kind = type(value)
        if kind is str or kind is int:  # most cells: names, addresses, codes, counts
            return safe_cell(value)
        if kind is Label or kind is Words:
            value = self._translated.get((kind, value)) or self._translate(kind, value)
        elif kind is bool:
            value = self._yes if value else self._no
        elif kind is float or kind is Decimal:
            value = self._number(value)
        return safe_cell(value)

    def _translate(self, kind: type, value: Label | Words) -> str:
        from deliverability import i18n

        from .templatetags.labels import label

        text = label(value) if kind is Label else i18n.label(str(value))
        self._translated[(kind, value)] = text
        return text

    def _number(self, value: float | Decimal) -> str:
        """As Django's number_format writes it (no grouping), without its per-call look-ups."""
        text = format(value, "f") if type(value) is Decimal else repr(value)
        if "e" in text or "E" in text or "n" in text:  # 1e-05, inf, nan
            text = number_format(value)
        return text.replace(".", self._decimal) if self._decimal != "." else text

    def header(self, keys: Sequence[str]) -> str:
        return "\ufeff" + self._writer.writerow([safe_cell(column_name(str(key))) for key in keys])

    def row(self, cells: Sequence) -> str:
        return self._writer.writerow([self.cell(value) for value in cells])

    def lines(self, keys: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
        """The header, then each row (read as the body streams, in the download's language)."""
        yield self.header(keys)
        with override(self.language):
            for row in rows:
                yield self.row(row)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """Stream one of the product's CSV reports for people (PeopleCsv: the reader's language and numbers, for Excel)."""
    response = StreamingHttpResponse(PeopleCsv().lines(header, rows), content_type="text/csv; charset=utf-8")
    safe_name = slugify(filename.rsplit(".", 1)[0])[:80] or "table"
    response["Content-Disposition"] = f'attachment; filename="{safe_name}.csv"'
    return response


def iterate(qs: QuerySet, chunk_size: int = 2000) -> Iterable:
    """Rows of a queryset for a download, without loading them all.

    Read inside a transaction: outside one, Django declares PostgreSQL's server-side cursor WITH HOLD,
    and PostgreSQL computes the whole result before the first row (a million-recipient campaign's
    verdicts: seconds before the download's first line). The transaction lasts as long as the download.
    """
    def rows():
        with transaction.atomic():
            yield from qs.iterator(chunk_size=chunk_size)

    return rows()

