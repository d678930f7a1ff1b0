"""Readable labels for stored keys: "security_gateway" → "Security gateway"; the verdict colours."""
from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from deliverability.verdicts.rules import CATEGORY_SENTENCES
from deliverability.verdicts.vocabulary import VERDICTS

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


@register.filter
def label(value) -> str:
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


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
