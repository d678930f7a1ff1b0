"""The one door from the pure engines and figure builders to Django's translation module (issue 23).

The engines stay free of Django's models, settings and ORM (import-linter's forbidden contracts); they may
mark and translate text, and only through this module, which imports django.utils.translation and nothing
else from Django but django.utils.dates (the translated month and weekday names). The figure builders' contract ignores
`deliverability.i18n -> django` for that reason alone; tests/test_i18n.py checks these stay its only imports.

Vocabulary labels (deliverability.choices) stay plain English strings — they go into stored JSON (weekly
snapshots) and CSV keys — and are marked for extraction with `gettext_noop`; `label()` and `choices()`
translate them where they are shown.
"""
from __future__ import annotations

# Django's month and weekday names, translated (data of the translation module)
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import (
    get_language,
    gettext,
    gettext_lazy,
    gettext_noop,
    ngettext,
    pgettext,
    pgettext_lazy,
)

__all__ = ["MONTHS", "MONTHS_3", "WEEKDAYS", "WEEKDAYS_ABBR", "choices", "get_language", "gettext", "gettext_lazy", "gettext_noop", "label", "ngettext",
           "pgettext", "pgettext_lazy"]


def label(text: str) -> str:
    """A vocabulary label (English msgid) in the active language."""
    return gettext(str(text)) if text else text


def choices(enum) -> list[tuple[str, object]]:
    """A LabelledStrEnum's (value, label) pairs with labels translated when shown (model fields, forms)."""
    return [(value, gettext_lazy(text)) for value, text in enum.choices()]
