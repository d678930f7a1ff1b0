"""A reading's explanation is in the language active when it is asked for, whatever was asked before:
the classifier and the explanations are cached, and the caches are per language."""
from __future__ import annotations

from django.utils import translation

from deliverability.bounces import classify

REPLY = "550 5.1.1 <ana@acme-logistics.com>: Recipient address rejected: User unknown in virtual mailbox table"


def test_the_same_reply_read_in_catalan_then_english_then_spanish_speaks_each_language():
    with translation.override("ca"):
        catalan = classify(REPLY).explanation
    with translation.override("en"):
        english = classify(REPLY).explanation
    with translation.override("es"):
        spanish = classify(REPLY).explanation
    assert "does not exist" in english
    assert len({catalan, english, spanish}) == 3, (catalan, english, spanish)
    with translation.override("ca"):
        assert classify(REPLY).explanation == catalan  # from the cache, still Catalan
    assert classify(REPLY).category == "invalid_mailbox"
