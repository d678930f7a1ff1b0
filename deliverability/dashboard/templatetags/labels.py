"""Readable labels for stored keys: "security_gateway" → "Security gateway"; the verdict colours."""
from functools import cache

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from deliverability import i18n
from deliverability.verdicts.rules import CATEGORY_SENTENCES
from deliverability.verdicts.vocabulary import VERDICTS, VerdictKind

register = template.Library()

# The verdict chips (.v-<verdict>) take the colours of the charts, from the one vocabulary.
_VERDICT_RULES = " ".join(f".v-{verdict} {{ border-color: {verdict.colour}; }}" for verdict in VERDICTS)


@register.simple_tag(takes_context=True)
def verdict_styles(context) -> SafeString:
    # The page's Content-Security-Policy admits no inline style without the request's nonce.
    request = context.get("request")
    nonce = str(request.csp_nonce) if hasattr(request, "csp_nonce") else ""  # str(): the lazy nonce is made here
    attribute = format_html(' nonce="{}"', nonce) if nonce else ""
    return mark_safe(f"<style{attribute}>{_VERDICT_RULES}</style>")  # built from the constant vocabulary


@cache
def _vocabulary_labels() -> dict[str, str]:
    """Stored key → English label, from the vocabularies (verdicts, domain kinds, event types, vendor kinds)."""
    from deliverability.bounces.vendors import VendorCategory
    from deliverability.domains.kinds import DomainKind
    from deliverability.ingest.records import EventType

    return {str(m): m.label for enum in (EventType, DomainKind, VerdictKind, VendorCategory) for m in enum}


@register.filter
def label(value) -> str:
    """A stored key's label in the reader's language: the vocabulary's label when the key is one, else the
    key made readable ("security_gateway" → "Security gateway"), translated when the catalogue has it."""
    key = str(value or "")
    known = _vocabulary_labels().get(key)
    if known:
        return i18n.label(known)
    text = key.replace("_", " ").strip()
    return i18n.label(text[:1].upper() + text[1:])


@register.filter
def vendor_name(name) -> str:
    """A vendor's name as the diagnoses key it (by_vendor, the weekly moves), in the reader's language where it
    is words: "Unidentified (own or unknown server)" is translated, a product name stays as it is."""
    from deliverability.verdicts.explanations import shown_vendor_name

    return shown_vendor_name(str(name or ""))


@register.filter
def day(value):
    """A date (or "YYYY-MM-DD[ HH:MM]" text, as the weekly snapshots store them) in the reader's short form:
    2026-11-02 in English, 02/11/2026 in Catalan and Spanish."""
    from datetime import date, datetime

    from django.utils import formats

    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return value


@register.filter
def category_words(category) -> str:
    """What the receiving side said, in a sentence a client reads (the code stays for the technical detail)."""
    return CATEGORY_SENTENCES.get(str(category or ""), "")


@register.simple_tag
def mx_vendor(domain_name: str) -> dict:
    """The vendor named by the domain's MX records (DNS), beside the one that answered (issue 19 item 10)."""
    from deliverability.bounces.vendors import vendor_name
    from deliverability.domains.models import Domain

    domain = Domain.objects.filter(name=domain_name).only("vendor_id").first()
    vendor_id = domain.vendor_id if domain else ""
    return {"id": vendor_id, "name": vendor_name(vendor_id) or vendor_id}


@register.filter
def num(value):
    """A count as the reader writes it: 1.234 in Catalan and Spanish, 1234 in English (issue 23)."""
    from django.utils import formats

    if value is None or value == "":
        return value
    try:
        return formats.number_format(value, force_grouping=True)
    except (TypeError, ValueError):
        return value


@register.filter
def pct(value, digits=1):
    """A percentage as the reader writes it: 11,2 % in Catalan and Spanish (a non-breaking space before the
    sign, as their style guides ask), 11.2% in English; "—" for none."""
    from django.template.defaultfilters import floatformat
    from django.utils.translation import get_language

    if value is None or value == "":
        return "—"
    number = floatformat(value, digits)
    if number == "":
        return "—"
    return f"{number}\u00a0%" if (get_language() or "en")[:2] in ("ca", "es") else f"{number}%"
