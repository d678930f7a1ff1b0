"""Plain-language texts: every verdict and vendor has one, jargon comes with a gloss."""
from __future__ import annotations

from deliverability.bounces.vendors import all_vendors
from deliverability.verdicts.explanations import GLOSSARY, VERDICT_EXPLANATIONS, explain_vendor, terms_in
from deliverability.verdicts.vocabulary import VERDICTS


def test_every_verdict_has_a_label_meaning_and_action():
    for verdict in VERDICTS:
        texts = VERDICT_EXPLANATIONS[verdict]
        assert texts["summary"] and texts["meaning"] and texts["what_to_do"]


def test_every_registered_vendor_gets_a_full_explanation():
    for vendor_id in all_vendors():
        texts = explain_vendor(vendor_id)
        assert texts["what_it_is"] and texts["why_it_rejects"] and texts["what_fixes_it"], vendor_id


def test_unknown_vendor_explains_the_own_server_case():
    assert explain_vendor(None)["name"] is None
    assert "could not be matched" in explain_vendor("nope")["what_it_is"]


def test_gateway_explanation_glosses_the_directory():
    assert "list of valid addresses" in explain_vendor("proofpoint")["why_it_rejects"]


def test_glossary_covers_the_terms_used_in_client_texts():
    for term in ("ESP", "MX", "security gateway", "blocklist", "SPF/DKIM/DMARC", "allowlist", "suppress"):
        assert GLOSSARY[term]


def test_explanations_carry_the_glosses_of_the_terms_they_use():
    texts = explain_vendor("microsoft365")
    assert "sending IP" in texts["glossary"]
    assert "SPF/DKIM/DMARC" in terms_in(*VERDICT_EXPLANATIONS["sender_issue"].values())


def test_glossary_matches_whole_words_only():
    from deliverability.verdicts.explanations import terms_in
    assert "ESP" not in terms_in("They respond especially fast.")
    assert "ESP" in terms_in("Ask your ESP.")
