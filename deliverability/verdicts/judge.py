"""From evidence to a verdict: add the votes per verdict, softmax them into a confidence.

Scoring: each verdict's score is the sum of the weights voting for it (``unknown`` starts at
``weights.UNKNOWN_PRIOR``). The winner is the highest score; its confidence is its softmax share,
so it is always in (0, 1), rises with the margin over the alternatives, and one weak vote never
reads as certainty.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from deliverability.sentences import Sentence, gettext_noop

from . import weights
from .facts import RecipientFacts
from .rules import RULES, Evidence, Rule
from .vocabulary import VERDICTS, VerdictKind


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: VerdictKind
    confidence: float  # in [0, 1]
    evidence: list[dict[str, str]]  # [{code, text}], strongest support for the verdict first
    scores: dict[str, float] = field(default_factory=dict, compare=False)  # for staff and tuning
    overridden: bool = False  # a staff override replaced the computed verdict

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "confidence": self.confidence,
            "evidence": [dict(item) for item in self.evidence],
            "overridden": self.overridden,
        }


def collect_evidence(facts: RecipientFacts, rules: Iterable[Rule] = RULES) -> list[Evidence]:
    votes: list[Evidence] = []
    for rule in rules:
        votes.extend(rule(facts))
    return votes


def score(votes: Iterable[Evidence]) -> dict[str, float]:
    scores = dict.fromkeys(VERDICTS, 0.0)
    scores[VerdictKind.UNKNOWN] += weights.UNKNOWN_PRIOR
    for vote in votes:
        scores[vote.verdict] += vote.weight
    return scores


def softmax(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values())
    exps = {verdict: math.exp(value - top) for verdict, value in scores.items()}
    total = sum(exps.values())
    return {verdict: value / total for verdict, value in exps.items()}


def decide(votes: list[Evidence]) -> Verdict:
    scores = score(votes)
    # Ties go to "unknown", then to the order of VERDICTS: never a confident answer by accident.
    order = (VerdictKind.UNKNOWN, *(v for v in VERDICTS if v != VerdictKind.UNKNOWN))
    winner = max(order, key=lambda verdict: (scores[verdict], -order.index(verdict)))
    confidence = round(softmax(scores)[winner], 3)
    return Verdict(
        verdict=winner,
        confidence=min(1.0, max(0.0, confidence)),
        evidence=_ordered_items(votes, winner),
        scores={verdict: round(value, 3) for verdict, value in scores.items()},
    )


def _ordered_items(votes: list[Evidence], winner: str) -> list[dict[str, str]]:
    """Support for the verdict first (strongest first), then context, then what speaks against."""

    def rank(vote: Evidence) -> tuple[int, float]:
        if vote.verdict == winner and vote.weight > 0:
            return 0, -vote.weight
        if vote.weight == 0:
            return 1, 0.0
        return 2, -vote.weight

    seen: set[tuple[str, str]] = set()
    items: list[dict[str, str]] = []
    for vote in sorted(votes, key=rank):
        key = (vote.code, vote.text)
        if key not in seen:
            seen.add(key)
            items.append(vote.as_item())
    return items


def judge(facts: RecipientFacts, rules: Iterable[Rule] = RULES) -> Verdict | None:
    """The verdict for one recipient's outcome; None when the outcome is ``delivered``.

    Meant for bounced recipients; deferred, dropped and suppressed outcomes get a verdict too
    (mostly temporary or unknown), so that the recovery and suppress lists can include them.
    """
    if facts.outcome == "delivered":
        return None
    return decide(collect_evidence(facts, rules))


# The verdicts as a sentence names them ("the engine said filter rejection"), for the catalogues.
VERDICT_NOUNS: dict[str, str] = {
    VerdictKind.INVALID_RECIPIENT: gettext_noop("invalid recipient"),
    VerdictKind.FILTER_REJECTION: gettext_noop("filter rejection"),
    VerdictKind.SENDER_ISSUE: gettext_noop("sender issue"),
    VerdictKind.TEMPORARY: gettext_noop("temporary"),
    VerdictKind.UNKNOWN: gettext_noop("unknown"),
}


def apply_override(computed: Verdict | None, override: str | None) -> Verdict | None:
    """A staff override wins over the computed verdict; the computed one stays in the evidence."""
    if not override:
        return computed
    if override not in VERDICTS:
        raise ValueError(f"unknown verdict {override!r}; expected one of {', '.join(VERDICTS)}")
    override = VerdictKind(override)
    if computed is not None and computed.overridden and computed.verdict == override:
        return computed
    if computed:
        said = Sentence.gettext(
            "A reviewer set this verdict by hand (the engine said %(verdict)s at %(confidence)s%% confidence).",
            verdict=Sentence(VERDICT_NOUNS.get(computed.verdict, computed.verdict)),
            confidence=round(computed.confidence * 100))
    else:
        said = Sentence.gettext("A reviewer set this verdict by hand.")
    items = [{"code": "staff_override", "text": said.english(), "msg": said.to_json()}]
    return Verdict(
        verdict=override,
        confidence=1.0,
        evidence=items + (list(computed.evidence) if computed else []),
        scores=dict(computed.scores) if computed else {},
        overridden=True,
    )


def verdict_value(verdict: Verdict | str | None) -> VerdictKind:
    """The verdict from a Verdict, a plain string (e.g. a stored row) or nothing."""
    if verdict is None:
        return VerdictKind.UNKNOWN
    if isinstance(verdict, str):
        return VerdictKind(verdict) if verdict in VERDICTS else VerdictKind.UNKNOWN
    return verdict.verdict
