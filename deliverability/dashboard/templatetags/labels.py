"""Readable labels for stored keys: "security_gateway" → "Security gateway"; the verdict colours."""
from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

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
