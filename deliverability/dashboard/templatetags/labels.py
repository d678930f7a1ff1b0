"""Readable labels for stored keys: "security_gateway" → "Security gateway"."""
from django import template

register = template.Library()


@register.filter
def label(value) -> str:
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]
