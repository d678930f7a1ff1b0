"""The verdict vocabulary: the one place that spells out the verdicts (DESIGN.md, "Verdict").

Pure Python. Everything else refers to ``VerdictKind``: the engine's scores, the stored model's
``choices``, the rollup columns, the figure colours and legends, the exports. The order of the
members is the order of every table, chart and legend. The texts that explain a verdict to a
client (meaning, what to do) are prose and live in ``explanations``.
"""
from __future__ import annotations

from deliverability.choices import LabelledStrEnum


class VerdictKind(LabelledStrEnum):
    """The product's answer per bounced recipient, with its short label, chart colour and action.

    Colours are from the Okabe–Ito palette (readable with every common colour-vision deficiency).
    """

    INVALID_RECIPIENT = "invalid_recipient", "Invalid recipient", "#D55E00", "suppress"  # vermillion
    FILTER_REJECTION = "filter_rejection", "Filter rejection", "#0072B2", "keep"  # blue
    SENDER_ISSUE = "sender_issue", "Sender issue", "#E69F00", "keep"  # orange
    TEMPORARY = "temporary", "Temporary", "#56B4E9", "keep"  # sky blue
    UNKNOWN = "unknown", "Unknown", "#999999", "review"  # grey

    colour: str
    action: str  # suppress | keep | review

    def __init__(self, value: str, label: str, colour: str, action: str) -> None:
        self.colour = colour
        self.action = action

    @property
    def keeps_address(self) -> bool:
        """The address is probably valid: keep mailing it once the cause is fixed (recovery list)."""
        return self.action == "keep"


VERDICTS: tuple[VerdictKind, ...] = tuple(VerdictKind)
KEEP_VERDICTS = frozenset(kind for kind in VerdictKind if kind.keeps_address)
