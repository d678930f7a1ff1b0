"""Client sentences that are made in one place (a worker, an engine) and read in another, in the
reader's language: the verdicts' evidence, the campaign headline, the "what to do" list, the notes.

A ``Sentence`` is one source text of the catalogue (an English msgid with named ``%(name)s``
placeholders, or a singular/plural pair chosen by a count) and its parameters; a parameter may be a
sentence itself (a clause, "3 minutes") or a list of sentences (clauses joined by "; "). Stored as
JSON beside its English rendering, it is translated when a page renders it (``render``/``say``),
so a verdict judged by a worker reads in Catalan to a Catalan reader and in English in the CSV.

Only ``django.utils.translation`` is imported (the pure engines may mark strings with it, issue 23),
``django.utils.formats.number_format`` (a number as the reader writes it: ``11,2`` in Catalan), and
``django.core.exceptions``: an engine run without Django settings (bench scripts) reads the English
source. pyproject.toml's contracts name this module in their ignore lists; a test checks
that these stay its only Django imports.
The calls are spelt ``Sentence.gettext("…", name=…)``, ``Sentence.ngettext("…", "…", n, …)`` and
``Sentence.pgettext("context", "…")`` so that ``makemessages`` extracts them (xgettext's ``gettext`` and
``ngettext`` keywords, Django's ``pgettext:1c,2``). The English text is the source text filled in
(``english``: no catalogue consulted); a stored sentence whose catalogue entry is missing or broken
falls back to the stored English text (``say``).
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.formats import number_format
from django.utils.translation import (
    get_language,
    gettext,
    gettext_lazy,
    gettext_noop,
    ngettext,
    override,
    pgettext,
)

__all__ = ["Number", "Sentence", "gettext", "gettext_lazy", "gettext_noop", "override", "say"]

JOINER = "; "  # clauses of one sentence (a list parameter)
_NO_DJANGO = (ImproperlyConfigured, AppRegistryNotReady)


class Sentence:
    __slots__ = ("context", "msgid", "n", "params", "plural")

    def __init__(self, msgid: str, params: Mapping[str, Any] | None = None, plural: str | None = None,
                 n: int | None = None, context: str | None = None) -> None:
        self.msgid, self.plural, self.n, self.context = msgid, plural, n, context
        self.params = dict(params or {})

    @classmethod
    def gettext(cls, msgid: str, **params: Any) -> Sentence:
        return cls(msgid, params)

    @classmethod
    def ngettext(cls, singular: str, plural: str, n: int, **params: Any) -> Sentence:
        return cls(singular, params, plural, n)

    @classmethod
    def pgettext(cls, context: str, msgid: str, **params: Any) -> Sentence:
        """A source text whose words another part of the product uses differently (msgctxt)."""
        return cls(msgid, params, context=context)

    @classmethod
    def join(cls, sentences: list[Sentence]) -> Sentence:
        """Whole sentences one after the other (a paragraph); one alone is itself."""
        return sentences[0] if len(sentences) == 1 else cls("", {"sentences": list(sentences)})

    def render(self) -> str:
        """The sentence in the active language (English when none is active)."""
        if not self.msgid:  # a paragraph
            return " ".join(_render(item) for item in self.params.get("sentences", ()))
        try:
            if self.context is not None:
                text = pgettext(self.context, self.msgid)
            elif self.plural is not None:
                text = ngettext(self.msgid, self.plural, self.n)
            else:
                text = gettext(self.msgid)
                count = self.params.get("count")
                if text == self.msgid and type(count) is int:
                    # Stored before its source text became a singular/plural pair (the catalogue keeps only the
                    # pair): its count chooses the form.
                    text = ngettext(self.msgid, self.msgid, count)
        except _NO_DJANGO:  # no Django settings (or apps) loaded: the English source
            text = self.msgid if self.plural is None or self.n == 1 else self.plural
        if not self.params:
            return text
        return text % {key: _render(value) for key, value in self.params.items()}

    __str__ = render

    def english(self) -> str:
        """The source text filled in: English by definition, so no catalogue is consulted (fast; the
        engines store it beside the sentence for every verdict)."""
        if not self.msgid:
            return " ".join(item.english() for item in self.params.get("sentences", ()))
        text = self.msgid if self.plural is None or self.n == 1 else self.plural
        if not self.params:
            return text
        return text % {key: _english(value) for key, value in self.params.items()}

    def __repr__(self) -> str:
        return f"Sentence({self.english()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sentence) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict:
        data: dict[str, Any] = {"msgid": self.msgid}  # "" for a paragraph (params: sentences)
        if self.plural is not None:
            data["plural"], data["n"] = self.plural, self.n
        if self.context is not None:
            data["context"] = self.context
        if self.params:
            data["params"] = {key: _to_json(value) for key, value in self.params.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping) -> Sentence:
        params = {key: _from_json(value) for key, value in (data.get("params") or {}).items()}
        return cls(data["msgid"], params, data.get("plural"), data.get("n"), data.get("context"))


class Number:
    """A number in a sentence, written as the reader writes it (``11.2`` in English, ``11,2`` in
    Catalan and Spanish), rounded to ``digits`` places as ``f"{value:.{digits}f}"`` does."""

    __slots__ = ("digits", "value")

    def __init__(self, value: float, digits: int = 0) -> None:
        self.value, self.digits = value, digits

    def render(self) -> str:
        text = f"{self.value:.{self.digits}f}"
        try:
            return number_format(Decimal(text), self.digits)
        except _NO_DJANGO:
            return text

    __str__ = render

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Number) and (self.value, self.digits) == (other.value, other.digits)

    __hash__ = None  # type: ignore[assignment]


def _render(value: Any) -> Any:
    if isinstance(value, (Sentence, Number)):
        return value.render()
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return number_format(value)
        except _NO_DJANGO:
            return value
    if isinstance(value, list):
        return JOINER.join(str(_render(item)) for item in value)
    return value


def _english(value: Any) -> Any:
    if isinstance(value, Sentence):
        return value.english()
    if isinstance(value, Number):
        return f"{value.value:.{value.digits}f}"
    if isinstance(value, list):
        return JOINER.join(str(_english(item)) for item in value)
    return value


_PLAIN = (str, int, float, type(None))


def _to_json(value: Any) -> Any:
    if type(value) in _PLAIN:  # most parameters: a name, a count (fast path, the engine stores every item)
        return value
    if isinstance(value, Sentence):
        return {"sentence": value.to_json()}
    if isinstance(value, Number):
        return {"number": value.value, "digits": value.digits}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "sentence" in value:
        return Sentence.from_json(value["sentence"])
    if isinstance(value, dict) and "number" in value:
        return Number(value["number"], value.get("digits", 0))
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    return value


def active_language() -> str:
    """The language sentences render in now (a cache key for rendered text); "en" without Django settings."""
    try:
        return get_language() or "en"
    except _NO_DJANGO:
        return "en"


def say(text: str | None, data: Mapping | None = None) -> str:
    """A stored sentence in the active language: from its JSON when stored with one, else the stored
    text as it is (rows stored before sentences were, or text that is not ours)."""
    if data and not (text and (get_language() or "en").startswith("en")):  # English: the stored text is it
        try:
            return Sentence.from_json(data).render()
        except (KeyError, TypeError, ValueError):  # a catalogue placeholder mismatch must not break a page
            pass
    return text or ""
