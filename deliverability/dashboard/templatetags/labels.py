"""Readable labels for stored keys: "security_gateway" → "Security gateway"; the verdict colours."""
from django import template
from django.utils.safestring import SafeString, mark_safe

from deliverability.verdicts.vocabulary import VERDICTS

register = template.Library()

# The verdict chips (.v-<verdict>) take the colours of the charts, from the one vocabulary.
_VERDICT_STYLES = mark_safe(  # built from the constant vocabulary: no outside text
    "<style>" + " ".join(f".v-{verdict} {{ border-color: {verdict.colour}; }}" for verdict in VERDICTS) + "</style>"
)


@register.simple_tag
def verdict_styles() -> SafeString:
    return _VERDICT_STYLES


@register.filter
def label(value) -> str:
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]
