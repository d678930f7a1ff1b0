"""The engine against other parsers' test expectations (../shared/data/peers-dev), per source.

Ratchets at the level reached in issue 16 (see deliverability/bounces/AGREEMENT.md): any change that
loses a recipient, a permanent/temporary reading, a "does not exist" flag, a not-a-bounce or a stated
code fails here, naming the messages.
"""
from functools import cache

import pytest

from deliverability.bounces.measure import peer_scores
from deliverability.devtools.corpora import shared_data

CORPUS = shared_data("peers-dev")
pytestmark = pytest.mark.skipif(not (CORPUS / "labels.jsonl").exists(), reason="peers-dev corpus not available")

# Reached 2026-12-05 (baseline before issue 16: recipients 74/79, permanent 55/61, hard 32/36).
REACHED = {"recipients": 79, "permanent": 61, "hard": 33, "not_bounce": 5, "reply_code": 17, "status": 4}


@cache
def _scores():
    return peer_scores(CORPUS)


@pytest.mark.parametrize("measure", sorted(REACHED))
def test_peer_expectations_do_not_fall(measure):
    score = _scores()["all"][measure]
    assert score.hit >= REACHED[measure], f"{measure} {score}:\n" + "\n".join(score.misses)


def test_every_source_is_measured():
    assert {"flufl", "bounce_email", "bounced", "bounceparser", "flanker"} <= set(_scores())
