"""Issue 23, the content on the pages: a campaign imported and analysed for real (a worker's English
run), then read by a Catalan and a Spanish browser: the headline, "what to do" and every verdict's
evidence come in the reader's language, the quoted reply as it was."""
from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation

from deliverability.campaigns.models import Campaign
from deliverability.sentences import Sentence, say
from deliverability.verdicts.guidance import vendor_guidance
from deliverability.verdicts.models import CampaignDiagnosis, RecipientVerdict
from tests.portal_data import SUBJECT, import_campaign, recent


def _in(text: str, page: str) -> bool:
    return html.escape(text) in page or text in html.unescape(page)


@pytest.mark.parametrize("language", ["ca", "es"])
def test_campaign_and_recipient_pages_read_in_the_browsers_language(client, org_a, viewer_a, tmp_path, language):
    import_campaign(org_a, tmp_path, "November newsletter", recent(3))
    campaign = Campaign.objects.get(organization=org_a, name="November newsletter")
    diagnosis = CampaignDiagnosis.objects.get(campaign=campaign)
    client.force_login(viewer_a)
    page = client.get(reverse("campaign", args=[org_a.slug, campaign.pk]), HTTP_ACCEPT_LANGUAGE=language
                      ).content.decode()
    with translation.override(language):
        headline = say(diagnosis.headline, diagnosis.data["headline_msg"])
        todo = [say(item["text"], item.get("msg")) for item in diagnosis.data["what_to_do"]]
    assert headline != diagnosis.headline
    assert _in(headline, page) and not _in(diagnosis.headline, page)
    for item, local in zip(diagnosis.data["what_to_do"], todo, strict=True):
        assert _in(local, page) and not _in(item["text"], page)

    verdict = RecipientVerdict.objects.get(campaign=campaign, email=SUBJECT)
    page = client.get(reverse("campaign_recipient", args=[org_a.slug, campaign.pk, verdict.recipient_id]),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert verdict.evidence
    for item in verdict.evidence:
        with translation.override(language):
            local = Sentence.from_json(item["msg"]).render()
        assert local != item["text"]
        assert _in(local, page) and not _in(item["text"], page), item["code"]
    assert _in(f"550 5.1.1 <{SUBJECT}>: Recipient address rejected: User unknown", page)  # the reply, verbatim


def test_english_readers_read_the_stored_english(client, org_a, viewer_a, tmp_path):
    import_campaign(org_a, tmp_path, "November newsletter", recent(3))
    campaign = Campaign.objects.get(organization=org_a, name="November newsletter")
    diagnosis = CampaignDiagnosis.objects.get(campaign=campaign)
    client.force_login(viewer_a)
    page = client.get(reverse("campaign", args=[org_a.slug, campaign.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _in(diagnosis.headline, page)


def test_the_recovery_list_evidence_is_in_the_readers_language(client, org_a, viewer_a, tmp_path):
    import_campaign(org_a, tmp_path, "November newsletter", recent(3))
    campaign = Campaign.objects.get(organization=org_a, name="November newsletter")
    client.force_login(viewer_a)
    url = reverse("campaign_recovery_list", args=[org_a.slug, campaign.pk])
    def download(language: str) -> str:  # read while the request's language is the active one, as a server does
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        return (b"".join(response.streaming_content) if response.streaming else response.content).decode()

    english, catalan = download("en"), download("ca")
    assert "it@northwind-freight.com" in english and "it@northwind-freight.com" in catalan
    assert "The answering gateway is Proofpoint" in english
    assert "La passarel·la que respon és Proofpoint" in catalan and "The answering gateway" not in catalan
    assert "Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1" in catalan  # the quoted reply, verbatim


@pytest.mark.parametrize("language", ["ca", "es"])
def test_the_guidance_letter_and_the_glossary_read_in_the_browsers_language(client, org_a, viewer_a, tmp_path,
                                                                             language):
    import_campaign(org_a, tmp_path, "November newsletter", recent(3))  # Proofpoint refused some of it
    client.force_login(viewer_a)
    letter = client.get(reverse("vendor_guidance", args=[org_a.slug, "proofpoint"]), HTTP_ACCEPT_LANGUAGE=language
                        ).content.decode()
    with translation.override("en"):
        english = vendor_guidance("proofpoint")
    with translation.override(language):
        local = vendor_guidance("proofpoint")
    for text, en_text in zip([*local["allowlist_steps"], local["directory_check"], local["explanation"]["why_it_rejects"]],
                             [*english["allowlist_steps"], english["directory_check"],
                              english["explanation"]["why_it_rejects"]], strict=True):
        assert _in(text, letter) and not _in(en_text, letter)
    glossary_page = client.get(reverse("glossary"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    term, gloss = {"ca": ("passarel·la de seguretat", "Un filtre que una empresa col·loca davant de les seves bústies"),
                   "es": ("pasarela de seguridad", "Un filtro que una empresa coloca delante de sus buzones")}[language]
    assert term in glossary_page and gloss in html.unescape(glossary_page)
    assert "A filter a company places in front of its mailboxes" not in glossary_page
