"""Issue 23, the content: the explanations of every bounce category and signature, the verdicts'
evidence, the campaign headline, "what to do" and notes, the glossary, the vendor texts and guidance
letters, the weekly review's labels read in Catalan and Spanish, with no English sentence left, the
placeholders filled, and the technical evidence (the quoted reply) verbatim.

Rendering needs the compiled catalogues (locale/*/LC_MESSAGES/django.mo).
"""
from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliverability.bounces.explain import _BY_CATEGORY, _BY_SIGNATURE, explanation
from deliverability.bounces.taxonomy import CATEGORIES
from deliverability.bounces.vendors import all_vendors
from deliverability.dashboard.weekly import HEADLINE
from deliverability.sentences import Sentence, say
from deliverability.verdicts.catalogue import MODULE, render_module
from deliverability.verdicts.diagnosis import diagnose_campaign
from deliverability.verdicts.explanations import (
    GLOSSARY,
    GLOSSARY_TERMS,
    VENDOR_CATEGORY_EXPLANATIONS,
    VERDICT_EXPLANATIONS,
    explain_vendor,
    glossary,
)
from deliverability.verdicts.facts import RecipientHistory
from deliverability.verdicts.guidance import vendor_guidance
from deliverability.verdicts.judge import apply_override, judge
from tests.verdicts.builders import NO_HISTORY, T0, bounce, corporate_behind, pattern, scattered
from tests.verdicts.test_properties import facts_strategy

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("ca", "es")
# Content modules whose catalogue entries this test owns (the chrome is tests' of the templates).
CONTENT_SOURCES = (
    "deliverability/bounces/explain.py", "deliverability/verdicts/explanations.py",
    "deliverability/verdicts/rules.py", "deliverability/verdicts/judge.py", "deliverability/verdicts/_catalogue.py",
    "deliverability/dashboard/weekly.py", "deliverability/bounces/classify.py",
)
# Entries that read the same in every language: technical names and punctuation-only patterns.
SAME_EVERYWHERE = {"ESP", "MX", "SPF/DKIM/DMARC", "%(statement)s.", "%(statement)s: %(reply)s.",
                   "%(subject)s, %(clauses)s."}
# Words of English prose that Catalan and Spanish text never contains (menu names and quoted replies
# are removed first: they stay in English on purpose).
ENGLISH = re.compile(r"\b(the|your|which|does|were|has been|would|should|address|addresses|refused|mailbox)\b",
                     re.I)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def rendered(sentence: Sentence | dict, language: str) -> str:
    sentence = Sentence.from_json(sentence) if isinstance(sentence, dict) else sentence
    with translation.override(language):
        return sentence.render()


def verbatim(data) -> list[str]:
    """The parameters a sentence carries as they are (quoted replies, domains, names, numbers)."""
    found = []
    for value in (data.get("params") or {}).values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and "sentence" in item:
                found += verbatim(item["sentence"])
            elif isinstance(item, str):
                found.append(item)
    return found


def assert_translated(data: dict, where: str) -> None:
    english = rendered(data, "en")
    keep = sorted((v for v in verbatim(data) if v), key=len, reverse=True)
    for language in LANGUAGES:
        text = rendered(data, language)
        assert text != english, f"{where}: left in English in {language}: {english!r}"
        assert "%(" not in text, f"{where}: a placeholder left unfilled in {language}: {text!r}"
        for value in keep:  # the technical evidence and the names are there, as they are
            assert value in text, f"{where}: {value!r} lost in {language}: {text!r}"
        prose = text
        for value in keep:
            prose = prose.replace(value, " ")
        assert not ENGLISH.search(prose), f"{where}: English words in {language}: {text!r}"


# --- The machinery ------------------------------------------------------------------------------


def test_the_sentences_module_imports_only_translation_formats_and_exceptions_from_django():
    """pyproject.toml lets the pure engines reach Django through deliverability.sentences only: no
    models, no settings, no ORM."""
    tree = ast.parse((ROOT / "deliverability/sentences.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    django = {name for name in imported if name and name.split(".")[0] == "django"}
    assert django == {"django.utils.translation", "django.utils.formats", "django.core.exceptions"}


def test_the_data_files_catalogue_module_is_fresh():
    """_catalogue.py exposes the data files' sentences to makemessages: regenerate it with
    `manage.py content_catalogue` whenever a data file's client text changes."""
    assert MODULE.read_text(encoding="utf-8") == render_module()


def test_a_sentence_survives_storage_and_renders_in_the_readers_language():
    sentence = Sentence.ngettext("%(count)s domain", "%(count)s domains", 3, count=3)
    stored = {"text": sentence.english(), "msg": sentence.to_json()}
    assert stored["text"] == "3 domains"
    with translation.override("ca"):
        assert say(stored["text"], stored["msg"]) == "3 dominis"
    with translation.override("es"):
        assert say(stored["text"], stored["msg"]) == "3 dominios"
    assert say("stored before issue 23", None) == "stored before issue 23"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_content_source_text_is_translated_with_its_placeholders(language):
    po = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    entries = [e for e in po if not e.obsolete and any(path in CONTENT_SOURCES for path, _line in e.occurrences)]
    assert len(entries) > 250
    for entry in entries:
        assert "fuzzy" not in entry.flags, entry.msgid
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(0, ""), entry.msgstr_plural.get(1, "")]
            assert all(forms), f"untranslated: {entry.msgid!r}"
            assert set(PLACEHOLDER.findall(forms[1])) == set(PLACEHOLDER.findall(entry.msgid_plural)), entry.msgid
            assert set(PLACEHOLDER.findall(forms[0])) <= set(PLACEHOLDER.findall(entry.msgid_plural)), entry.msgid
        else:
            assert entry.msgstr, f"untranslated: {entry.msgid!r}"
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid
            assert entry.msgstr.count("%%") == entry.msgid.count("%%"), entry.msgid
            if entry.msgid not in SAME_EVERYWHERE:
                assert entry.msgstr != entry.msgid, f"copied, not translated: {entry.msgid!r}"


# --- Bounce explanations ------------------------------------------------------------------------


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_and_signature_explanation_reads_in_catalan_and_spanish(category):
    signatures = [None, *_BY_SIGNATURE] if category == "invalid_mailbox" else [None]
    for signature in signatures:
        for vendor in (None, "proofpoint", "gmail"):
            for temporary in (False, True):
                sentence = explanation(category, signature, vendor, False, temporary)
                assert_translated(sentence.to_json(), f"{category}/{signature}/{vendor}/{temporary}")
    assert set(_BY_CATEGORY) <= set(CATEGORIES)


# --- Verdict evidence ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_strategy, st.sampled_from(["", "invalid_recipient", "temporary"]))
def test_every_evidence_sentence_reads_in_catalan_and_spanish(facts, override):
    verdict = apply_override(judge(facts), override or None) if facts.outcome != "delivered" else None
    for item in (verdict.evidence if verdict else ()):
        assert item.get("msg"), f"evidence without its sentence: {item}"
        assert rendered(item["msg"], "en") == item["text"]
        assert_translated(item["msg"], item["code"])


def test_the_rarer_evidence_sentences_read_in_catalan_and_spanish():
    """The rules a random fact seldom reaches, built on purpose (tests/verdicts/builders.py)."""
    gateway = corporate_behind("proofpoint", "mx0a-00069f02.pphosted.com", mx_vendor_category="security_gateway")
    cases = [
        bounce("a@acme.example", pattern=scattered(40, {7}, "acme.example"), history=NO_HISTORY,
               domain_kind="corporate", mx_status="ok"),  # lone_rejection_among_deliveries
        bounce("b@acme.example", pattern=pattern(0, 6), **gateway),  # domain_refused_everything
        bounce("c@gmail.com", category="policy_block", signature="policy", reply_code=550, status="5.7.1",
               diagnostic="550 5.7.1 message refused by policy", domain_kind="consumer", mx_vendor="gmail"),
        bounce("d@acme.example", category="invalid_domain", signature="domain_unknown", status="5.1.2",
               diagnostic="550 5.1.2 domain not found", domain_kind="corporate", mx_status="ok"),
        bounce("e@acme.example", history=RecipientHistory(delivered_before=3, last_delivered_at=T0 - timedelta(days=9),
                                                          opened_at=T0 - timedelta(days=5)), **gateway),
        bounce("f@acme.example", category="policy_block", signature="user_unknown_after_data", status="5.7.1",
               diagnostic="550 5.7.1 user unknown", **gateway),
    ]
    codes = set()
    for facts in cases:
        for item in judge(facts).evidence:
            codes.add(item["code"])
            assert_translated(item["msg"], item["code"])
    assert {"lone_rejection_among_deliveries", "domain_refused_everything", "consumer_policy",
            "dns_contradicts_invalid_domain", "recent_open", "gateway_user_unknown", "claims_unknown_user"} <= codes


def test_the_quoted_reply_stays_verbatim_in_every_language():
    facts = bounce("jane@north.example", diagnostic="550 5.1.1 <jane@north.example>: User unknown in virtual table",
                   **corporate_behind("proofpoint", "mx0a-00069f02.pphosted.com"))
    claim = next(item for item in judge(facts).evidence if item["code"] == "claim_invalid_mailbox")
    for language in LANGUAGES:
        text = rendered(claim["msg"], language)
        assert "\"550 5.1.1 <jane@north.example>: User unknown in virtual table\"" in text
        assert not text.startswith("The receiving server")


# --- Campaign headline, what to do, notes -------------------------------------------------------


def _campaign():
    proofpoint = corporate_behind("proofpoint", "mx0a-00069f02.pphosted.com", mx_vendor_category="security_gateway")
    delivered = [bounce(f"d{i}@north.example", **proofpoint) for i in range(0)]
    campaign = delivered + [
        bounce(f"p{i}@north.example", occurred_at=T0 + timedelta(seconds=60 + i), esp_hard=i % 2 == 0, **proofpoint)
        for i in range(12)]
    campaign += [bounce(f"x{i}@gone.example", esp_hard=True, domain_kind="corporate", mx_status="timeout")
                 for i in range(3)]
    campaign += [bounce("full@mail.example", category="mailbox_full", reply_code=452, status="4.2.2",
                        diagnostic="452 4.2.2 Mailbox full", domain_kind="consumer")]
    campaign += [bounce("spam@blocked.example", category="reputation_block", diagnostic="blocked using Spamhaus",
                        esp_hard=True, status="5.7.1", domain_kind="corporate")]
    verdicts = {f"p{i}@north.example": "filter_rejection" for i in range(12)}
    verdicts.update({f"x{i}@gone.example": "invalid_recipient" for i in range(3)})
    verdicts.update({"full@mail.example": "temporary", "spam@blocked.example": "sender_issue"})
    return campaign, verdicts


def test_headline_what_to_do_and_notes_read_in_catalan_and_spanish():
    campaign, verdicts = _campaign()
    d = diagnose_campaign(campaign, verdicts, sent_count=200)
    out = d.to_json()
    assert rendered(out["headline_msg"], "en") == out["headline"]
    assert_translated(out["headline_msg"], "headline")
    with translation.override("ca"):
        headline = say(out["headline"], out["headline_msg"])
    assert "rebots permanents" in headline and "%" in headline and "," in headline  # "Del vostre 7,5 % de …"
    assert [item["code"] for item in out["what_to_do"]] == ["keep", "suppress", "fix_sending", "vendor",
                                                            "ask_it_team", "retry"]
    for item in out["what_to_do"]:
        assert rendered(item["msg"], "en") == item["text"]
        assert_translated(item["msg"], item["code"])
    assert len(out["notes_msg"]) == len(out["notes"]) == 2  # a partial file; DNS unchecked
    for note, msg in zip(out["notes"], out["notes_msg"], strict=True):
        assert rendered(msg, "en") == note
        assert_translated(msg, "note")


def test_the_other_headlines_read_in_catalan_and_spanish():
    campaign, verdicts = _campaign()
    no_hard = [f for f in campaign if f.email.startswith("p")]
    for d in (diagnose_campaign([], {}), diagnose_campaign(no_hard, {}),
              diagnose_campaign([bounce("a@b.example", esp_hard=False, reply_code=450, status="4.0.0")],
                                {"a@b.example": "unknown"})):
        assert_translated(d.headline_msg, d.headline)


# --- Glossary, verdict meanings, vendors, guidance letters, weekly labels ------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_glossary_verdict_meanings_and_vendor_texts_read_in_catalan_and_spanish(language):
    with translation.override("en"):
        english = {
            "glossary": glossary(),
            "verdicts": {k: {f: str(t) for f, t in v.items()} for k, v in VERDICT_EXPLANATIONS.items()},
            "categories": {k: {f: str(t) for f, t in v.items()} for k, v in VENDOR_CATEGORY_EXPLANATIONS.items()},
            "vendors": {v: explain_vendor(v) for v in [*all_vendors(), None]},
        }
    with translation.override(language):
        local = {
            "glossary": glossary(),
            "verdicts": {k: {f: str(t) for f, t in v.items()} for k, v in VERDICT_EXPLANATIONS.items()},
            "categories": {k: {f: str(t) for f, t in v.items()} for k, v in VENDOR_CATEGORY_EXPLANATIONS.items()},
            "vendors": {v: explain_vendor(v) for v in [*all_vendors(), None]},
        }
    assert len(local["glossary"]) == len(english["glossary"]) == len(GLOSSARY)
    for key, gloss in GLOSSARY.items():
        with translation.override(language):
            local_gloss, local_term = str(gloss), str(GLOSSARY_TERMS[key])
        with translation.override("en"):
            english_gloss = str(gloss)
        assert (local_term, local_gloss) in local["glossary"]
        assert local_gloss != english_gloss and not ENGLISH.search(local_gloss), local_gloss
        assert local_term != key or key in SAME_EVERYWHERE, key
    assert {"ca": "rebot permanent", "es": "rebote permanente"}[language] in dict(local["glossary"])
    for group in ("verdicts", "categories"):
        for key, texts in local[group].items():
            for field, text in texts.items():
                assert text != english[group][key][field] and not ENGLISH.search(text), (key, field, text)
    for vendor_id, texts in local["vendors"].items():
        for field in ("what_it_is", "why_it_rejects", "what_fixes_it"):
            assert texts[field] != english["vendors"][vendor_id][field], (vendor_id, field)
        # the terms are found in the English texts, named in the reader's language
        assert len(texts["glossary"]) == len(english["vendors"][vendor_id]["glossary"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_guidance_letter_reads_in_catalan_and_spanish(language):
    menus = re.compile(r"«[^»]*»|\b[A-Z][\w&/ -]*(?: > [\w&/ .-]+)+")  # quoted replies and menu paths stay
    for vendor_id in all_vendors():
        with translation.override("en"):
            english = vendor_guidance(vendor_id)
        with translation.override(language):
            local = vendor_guidance(vendor_id)
        # URLs of public pages as written; a cited RFC keeps its citation and says what it is in the reader's words
        for source, en_source in zip(local["sources"], english["sources"], strict=True):
            if "://" in en_source:
                assert source == en_source
            else:
                cite = en_source.split(": ", 1)[0]
                assert source.startswith(cite + ": ") and source != en_source, source
        for text, en_text in zip([*local["allowlist_steps"], local["directory_check"]],
                                 [*english["allowlist_steps"], english["directory_check"]], strict=True):
            assert text != en_text, (vendor_id, text)
            assert not re.search(r"\b(the|your|which)\b", menus.sub(" ", text), re.I), (vendor_id, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_weekly_headline_labels_read_in_catalan_and_spanish(language):
    with translation.override(language):
        labels = [translation.gettext(label) for _key, label in HEADLINE]
    assert labels != [label for _key, label in HEADLINE]
    assert all(not ENGLISH.search(label) and "bounces" not in label for label in labels)
