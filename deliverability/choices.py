"""The base of the project's vocabularies (verdicts, domain kinds, event types): a ``StrEnum``
whose members carry a label, and the ``choices`` a model field or a form derives from it.

Pure Python, outside the layered packages so that every layer can define its vocabulary on it.
A subclass lists ``(value, label, …)`` per member and, for attributes beyond the label, an
``__init__`` that stores them.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Self


def gettext_noop(text: str) -> str:
    """Marks a vocabulary label for the translation catalogues (makemessages extracts `gettext_noop("…")`)
    and returns it unchanged: labels stay English here, pure and storable; `deliverability.i18n.label`
    translates them where they are shown (issue 23)."""
    return text


class LabelledStrEnum(StrEnum):
    label: str

    def __new__(cls, value: str, label: str, *_attributes: object) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs in the members' order, for a model field or a form."""
        return [(member.value, member.label) for member in cls]
