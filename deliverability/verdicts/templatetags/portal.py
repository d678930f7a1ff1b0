"""Template tags for the client-facing parts of the dashboard pages (notes, glossary, override
choices), so those pages gain them without their views changing."""
from __future__ import annotations

from django import template

from deliverability.sentences import say as say_sentence
from deliverability.verdicts.explanations import VERDICT_EXPLANATIONS, terms_in
from deliverability.verdicts.models import VERDICT_CHOICES, CampaignNote
from deliverability.verdicts.vocabulary import VerdictKind

register = template.Library()


@register.simple_tag
def campaign_notes(campaign) -> list[CampaignNote]:
    return list(CampaignNote.objects.filter(campaign=campaign).select_related("author")[:20])


@register.simple_tag
def glossary_for(*texts) -> dict[str, str]:
    """Glossary entries for the terms the given texts use."""
    return terms_in(*(str(t) for t in texts if t))


@register.simple_tag
def say(text, msg=None) -> str:
    """A stored sentence (headline, note) in the reader's language: ``{% say diagnosis.headline data.headline_msg %}``.
    The stored English text when no sentence was stored with it (rows from before issue 23)."""
    return say_sentence(text, msg)


@register.filter
def said(item) -> str:
    """A stored item with ``text`` and ``msg`` (evidence, "what to do") in the reader's language."""
    if isinstance(item, dict):
        return say_sentence(item.get("text"), item.get("msg"))
    return "" if item is None else str(item)


@register.simple_tag
def notes_said(data) -> list[str]:
    """A diagnosis' notes in the reader's language (``data`` is the stored diagnosis JSON)."""
    data = data or {}
    notes, msgs = list(data.get("notes") or ()), list(data.get("notes_msg") or ())
    return [say_sentence(note, msgs[i] if i < len(msgs) else None) for i, note in enumerate(notes)]


@register.simple_tag
def verdict_choices() -> list[tuple[str, str]]:
    return VERDICT_CHOICES


@register.simple_tag
def verdict_explanation(verdict: str) -> dict:
    return VERDICT_EXPLANATIONS.get(verdict, VERDICT_EXPLANATIONS[VerdictKind.UNKNOWN])


@register.simple_tag
def forwardable_vendors(by_vendor: dict | None) -> list[dict]:
    """Vendors of a diagnosis that refused mail (filter or sender verdicts), for guidance links."""
    rows = []
    for name, entry in (by_vendor or {}).items():
        vendor_id = (entry or {}).get("vendor_id")
        by_verdict = (entry or {}).get("by_verdict") or {}
        refused = sum(by_verdict.get(v) or 0 for v in (VerdictKind.FILTER_REJECTION, VerdictKind.SENDER_ISSUE))
        if vendor_id and refused:
            rows.append({"id": vendor_id, "name": name, "refused": refused})
    return sorted(rows, key=lambda r: (-r["refused"], r["name"]))
