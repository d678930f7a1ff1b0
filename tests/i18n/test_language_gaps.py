"""English and broken text a new user met in Catalan and Spanish (trial of issue 23), one family per test: each
page or download is rendered with the language active and the translation is asserted (or the English source's
absence). The data is a campaign imported and analysed for real (tests/portal_data.py)."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import polib
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from deliverability.accounts.models import Invitation, Organization, Profile
from deliverability.bounces.vendors import all_vendors
from deliverability.campaigns.models import Upload
from deliverability.dashboard import digest, figures, snapshots, weekly
from deliverability.dashboard.models import WeeklySnapshot
from deliverability.sentences import Sentence
from deliverability.verdicts.explanations import UNIDENTIFIED_VENDOR, what_to_do
from deliverability.verdicts.models import CampaignDomainStat
from deliverability.verdicts.vocabulary import VerdictKind
from tests.factories import make_membership, make_user
from tests.i18n.test_translated_pages import ROOT, VisibleText
from tests.verdicts.test_unsuppress_views import content, download_url, imported, manager  # noqa: F401 - fixtures

CATALAN = {"unidentified": "No identificat (servidor propi o desconegut)", "gateway": "Passarel·la de seguretat"}
SPANISH = {"unidentified": "Sin identificar (servidor propio o desconocido)", "gateway": "Pasarela de seguridad"}
WORDS = {"ca": CATALAN, "es": SPANISH}


def _read(client, url, **extra) -> tuple[str, str, str]:
    """(html, visible text, the figures' text) of a page."""
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    parser = VisibleText()
    parser.feed(html)
    return html, parser.text(), parser.figure_text()


def _chart_labels(html: str) -> set[str]:
    """Every category label of the page's Plotly figures (bars' y and x values that are text)."""
    labels = set()
    for data in re.findall(r'<script id="[^"]+" type="application/json">(.*?)</script>', html, re.S):
        for trace in json.loads(data).get("data", []):
            labels |= {v for axis in ("x", "y") for v in trace.get(axis) or () if isinstance(v, str)}
    return labels


def _reader(client, user, language):
    Profile.objects.update_or_create(user=user, defaults={"language": language})
    client.force_login(user)


def _csv(response) -> tuple[str, list[list[str]]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    delimiter = ";" if text.split("\r\n", 1)[0].count(";") else ","
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


# --- 1. The upload form ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "file_label", "help_start"), [
    ("ca", "Fitxer:", "CSV, exportació de l'ESP"), ("es", "Archivo:", "CSV, exportación del ESP")])
def test_the_upload_form_labels_and_help_read_in_the_readers_language(client, portal, language, file_label,
                                                                       help_start):
    _reader(client, portal["user"], language)
    html, text, _ = _read(client, reverse("upload_new", args=[portal["org"].slug]))
    assert file_label in text and help_start in text
    for english in ("File:", "Campaign:", "CSV, ESP export", "Campaign name for rows that do not name one"):
        assert english not in text, english
    assert language != "es" or "Formato:" in text  # "Format" is Catalan too


# --- 2. Charts and tables -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ca", "es"])
def test_the_unidentified_vendor_and_the_vendor_kinds_are_translated_in_tables_charts_and_csv(client, portal,
                                                                                              language):
    words = WORDS[language]
    _reader(client, portal["user"], language)
    org, campaign = portal["org"].slug, portal["campaign"].pk
    html, text, _ = _read(client, reverse("organization", args=[org]))
    charts = _chart_labels(html)
    assert words["unidentified"] in text and words["unidentified"] in charts  # the table and the chart
    assert words["gateway"] in text
    campaign_charts = _chart_labels(_read(client, reverse("campaign", args=[org, campaign]))[0])
    assert words["unidentified"] in campaign_charts
    _, rows = _csv(client.get(reverse("organization", args=[org]) + "?csv=vendors"))
    assert words["unidentified"] in {row[0] for row in rows} and words["gateway"] in {row[1] for row in rows}
    for shown in (text, str(charts), str(campaign_charts), str(rows)):
        assert UNIDENTIFIED_VENDOR not in shown and "Security gateway" not in shown


def test_every_vendor_kind_of_the_registry_has_a_label():
    from deliverability.bounces.vendors import VendorCategory

    assert {vendor.category for vendor in all_vendors().values()} <= {str(kind) for kind in VendorCategory}


def test_the_domain_and_vendor_charts_are_titled_in_the_readers_language(client, portal):
    _reader(client, portal["user"], "ca")
    domain = portal["verdict"].domain
    _, _, charts = _read(client, reverse("org_domain", args=[portal["org"].slug, domain]))
    assert f"{domain} a cada campanya" in charts and "in each campaign" not in charts
    # The vendor page's chart (its view builds it, see the report): the builder titles it in the reader's words.
    with translation.override("es"):
        title = figures.vendor_per_campaign([], "Mimecast")["layout"]["title"]["text"]
    assert title == "Rebotes en Mimecast en cada campaña"


@pytest.mark.parametrize(("language", "november"), [("ca", "nov."), ("es", "nov")])
def test_plotly_is_given_the_readers_month_names_and_date_orders(language, november):
    """Plotly writes a date axis's ticks itself ("09:00 / Nov 5, 2026"): each figure carries the reader's locale,
    its month names from Django's translations and a day-first order; the hover label's time is day-first too."""
    buckets = [{"minute": timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=m), "delivered": 3,
                "bounced": 1, "deferred": 0} for m in range(3)]
    with translation.override(language):
        figure = figures.timeline(buckets, "Europe/Madrid")
    config = figure["config"]
    locale = config["locales"][config["locale"]]
    assert config["locale"] == language
    assert locale["format"]["shortMonths"][10] == november and locale["format"]["dayMonthYear"] == "%-d %b %Y"
    assert "%{x|%d/%m/%Y %H:%M}" in figure["data"][0]["hovertemplate"]
    assert locale["dictionary"]["Download plot as a PNG"] != "Download plot as a PNG"  # the toolbar too
    with translation.override("en"):
        assert "locale" not in figures.timeline(buckets, "UTC")["config"]  # plotly's own English


# --- 3. The guidance letter -----------------------------------------------------------------------------------


def test_the_guidance_letters_sources_say_what_the_cited_rfcs_are_in_the_readers_language(client, portal):
    """A vendor without product-specific steps: the letter's footer cites RFCs, whose subject is client text."""
    CampaignDomainStat.objects.create(campaign=portal["campaign"], domain="forcepoint-client.example",
                                      vendor="forcepoint", recipients=1, bounced=1, filter_rejection=1)
    _reader(client, portal["user"], "ca")
    _, text, _ = _read(client, reverse("vendor_guidance", args=[portal["org"].slug, "forcepoint"]))
    assert ("RFC 7208 (SPF), RFC 6376 (DKIM) and RFC 7489 (DMARC): com comprova un receptor que el correu ve realment "
            "del domini d'enviament") in text
    assert "RFC 5321 section 4.2: el text de la resposta del servidor receptor" in text
    assert "how a receiver checks" not in text and "where a filter states its reason" not in text


# --- 4. A staff user creates an organisation ------------------------------------------------------------------


def _new_organisation(client, language: str):
    return client.post(reverse("organization_new"), {
        "name": "Lumen Analytics", "slug": "", "timezone": "Europe/Madrid", "language": language,
        "invite_email": "maria@lumen.example", "invite_role": "manager"})


def test_creating_an_organisation_redirects_and_its_messages_and_statuses_are_in_the_staff_users_language(client, db):
    staff = make_user("account-manager", is_staff=True)
    _reader(client, staff, "ca")
    response = _new_organisation(client, "es")  # the client reads Spanish; the agency's user reads Catalan
    org = Organization.objects.get(slug="lumen-analytics")
    assert response.status_code == 302 and response["Location"] == reverse("members", args=[org.slug])
    html, text, _ = _read(client, response["Location"])
    assert '<html lang="ca">' in html
    assert "S'ha creat Lumen Analytics." in text and "Invitació enviada a maria@lumen.example." in text
    assert "Pendent" in text and 'id="invite-url"' in html  # the link, shown once
    for english in ("is created.", "Invitation sent to", "Pending"):
        assert english not in text, english
    # A refresh of the page creates and invites nothing again, and the link is not shown twice.
    again, _, _ = _read(client, response["Location"])
    assert 'id="invite-url"' not in again
    assert Organization.objects.filter(name="Lumen Analytics").count() == 1 and Invitation.objects.count() == 1


def test_the_new_organisations_language_is_its_clients_not_the_staff_users(client, db):
    staff = make_user("account-manager", is_staff=True)
    client.force_login(staff)
    english = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
    response = _new_organisation(client, "ca")
    assert response.status_code == 302
    org = Organization.objects.get(slug="lumen-analytics")
    assert org.language == "ca"
    for url in (response["Location"], reverse("organization", args=[org.slug]), reverse("home")):
        html, text, _ = _read(client, url, **english)
        assert '<html lang="en">' in html, url
    assert "Lumen Analytics is created." in text or "Lumen Analytics" in text
    # The organisation's clients read Catalan.
    client_user = make_user("maria")
    make_membership(client_user, org, "manager")
    client.force_login(client_user)
    html, _, _ = _read(client, reverse("organization", args=[org.slug]), **english)
    assert '<html lang="ca">' in html


@pytest.mark.parametrize("language", ["en", "ca", "es"])
def test_the_language_switcher_names_each_language_in_itself(client, portal, language):
    _reader(client, portal["user"], language)
    html, _, _ = _read(client, reverse("organization", args=[portal["org"].slug]))
    options = re.findall(r'<option value="(\w+)" lang="\w+"[^>]*>([^<]+)</option>', html)
    assert options == [("en", "English"), ("es", "Español"), ("ca", "Català")]


# --- 5. Downloads ---------------------------------------------------------------------------------------------


@pytest.fixture
def week_of_the_campaign(portal):
    org = portal["org"]
    monday = weekly.monday_of(portal["campaign"].sent_at, org.tzinfo)
    payload = snapshots.compute_week(org, monday)
    WeeklySnapshot.objects.create(organization=org, week=monday, status=WeeklySnapshot.Status.READY,
                                  payload=payload, claimed_at=timezone.now(), computed_at=timezone.now())
    return monday


@pytest.mark.parametrize(("language", "rate_label", "verdict_label"), [
    ("ca", "Taxa de rebot B2B", "Destinatari no vàlid"), ("es", "Tasa de rebote B2B", "Destinatario no válido")])
def test_the_weekly_csv_is_for_people_in_the_readers_words_and_numbers(client, portal, week_of_the_campaign,
                                                                       language, rate_label, verdict_label):
    _reader(client, portal["user"], language)
    url = reverse("weekly_week", args=[portal["org"].slug, week_of_the_campaign.isoformat()]) + "?csv=figures"
    text, rows = _csv(client.get(url))
    assert text.startswith("\ufeff")  # Excel reads UTF-8 with a byte-order mark
    assert text.split("\r\n", 1)[0].count(";") == 4  # ";" between cells where the decimal separator is ","
    items = {row[1] for row in rows[1:]}
    assert rate_label in items and verdict_label in items
    assert not items & {"B2B bounce rate", "Invalid recipient", "campaigns", "recipients"}
    rates = [row for row in rows if row[1] == rate_label][0]
    assert re.fullmatch(r"\d+,\d+", rates[2]), rates  # 25,37, not 25.37
    assert not re.search(r"\d\.\d", text.split("\r\n", 1)[1].replace(week_of_the_campaign.isoformat(), "")
                         .replace("-", ""))


@pytest.mark.parametrize(("language", "header", "kept", "yes_no"), [
    ("ca", "correu;domini;veredicte;confiança;segons_l_esp", "Rebuig del filtre", {"sí", "no"}),
    ("es", "correo;dominio;veredicto;confianza;según_el_esp", "Rechazo del filtro", {"sí", "no"}),
])
def test_the_recovery_and_suppress_lists_are_for_people_like_the_recipients_csv(client, portal, language, header,
                                                                                 kept, yes_no):
    _reader(client, portal["user"], language)
    org, campaign = portal["org"].slug, portal["campaign"].pk
    recovery, rows = _csv(client.get(reverse("campaign_recovery_list", args=[org, campaign])))
    suppress, _ = _csv(client.get(reverse("campaign_suppress_list", args=[org, campaign])))
    recipients, _ = _csv(client.get(reverse("campaign", args=[org, campaign]) + "?csv=recipients"))
    for text in (recovery, suppress, recipients):
        assert text.startswith("\ufeff")
    assert recovery.removeprefix("\ufeff").startswith(header) and suppress.removeprefix("\ufeff").startswith(header)
    assert rows[1:] and {row[2] for row in rows[1:]} <= {kept, "Problema del remitent", "Temporal",
                                                          "Problema del remitente"}
    assert {row[8] for row in rows[1:]} <= yes_no
    assert all(re.fullmatch(r"[01],\d\d", row[3]) for row in rows[1:])
    assert "filter_rejection" not in recovery and "hard bounce" not in recovery


def test_the_files_for_an_esp_stay_in_its_format_whatever_the_readers_language(client, manager, imported):  # noqa: F811
    client.force_login(manager)
    url = download_url(imported, "sendgrid", "sendgrid-suppressions.csv")
    english = content(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    Profile.objects.create(user=manager, language="ca")
    assert content(client.get(url)) == english
    assert not english.startswith(b"\xef\xbb\xbf")  # the ESP's importer reads it, not Excel


# --- 6. Plurals and the form of address ---------------------------------------------------------------------


def test_one_colleagues_copy_reads_singular_on_the_weekly_page_and_in_the_digest(client, portal,
                                                                                 week_of_the_campaign):
    snapshot = WeeklySnapshot.objects.get(organization=portal["org"], week=week_of_the_campaign)
    snapshot.payload["colleagues"] = {"domain": "acme.example", "vendor": "Proofpoint", "accepted": 1, "refused": 2,
                                      "seconds": 30, "minutes": 1, "campaign_id": None, "campaign": ""}
    snapshot.save()
    _reader(client, portal["user"], "ca")
    _, text, _ = _read(client, reverse("weekly_week", args=[portal["org"].slug, week_of_the_campaign.isoformat()]))
    assert "va acceptar 1 còpia per a un company" in text and "1 còpies" not in text
    Profile.objects.filter(user=portal["user"]).update(language="es")
    message = digest.build_message(snapshot, portal["user"])
    assert "aceptó 1 copia para un compañero" in message.body and "1 copias" not in message.body


def test_one_refusal_naming_the_sending_setup_reads_singular():
    sentence = Sentence.ngettext("%(count)s naming your sending setup", "%(count)s naming your sending setup", 1,
                                 count=1)
    with translation.override("ca"):
        assert sentence.render() == "1 que apunta a la teva configuració d'enviament"
    with translation.override("es"):
        assert sentence.render() == "1 que apunta a tu configuración de envío"
    # Stored before it had a plural form (a campaign judged earlier): its count chooses the form.
    stored = Sentence.from_json({"msgid": "%(count)s naming your sending setup", "params": {"count": 1}})
    with translation.override("ca"):
        assert stored.render() == "1 que apunta a la teva configuració d'enviament"
    # As the engine writes it in a campaign's "what to do" for one vendor.
    actions = what_to_do({VerdictKind.SENDER_ISSUE: 1}, 0, {"gmail": {VerdictKind.SENDER_ISSUE: 1}}, {}, {})
    vendor = next(a for a in actions if a["code"] == "vendor")
    with translation.override("ca"):
        text = Sentence.from_json(vendor["msg"]).render()
    assert "Gmail ha rebutjat 1 missatge: 1 que apunta a la teva" in text, text


# Formal address, by language: the product says tu / tú to its reader, as most of each catalogue did; only the
# letter a client forwards to another company's IT team (guidance.html, vendor_guidance.json) stays formal.
FORMAL = {
    "ca": re.compile(r"\b(vostr[eao]s?|vós|us|podeu|teniu|heu|voleu|(?:conserv|suprimi|demaneu|comprov|revis|torn|"
                     r"indiqu|tri|envi|segui|pregunt|sol·licit|corregi|esbrin|vigil|fe)eu(?:-(?:ho|la|les|lo|ne|hi))?)\b",
                     re.IGNORECASE),
    # Spanish: usted, and the formal imperatives that began the aligned sentences (where a clause starts: "que
    # compruebe" is a subjunctive, not an address).
    "es": re.compile(r"\busted(es)?\b|(?:^|[.:;(«]\s*|\by\s|,\s)(conserve|suprima|suprímala|compruebe|pida|revise|"
                     r"revíselo|vuelva|indique|elija|envíe|siga|pregunte|solicite|corrija|averigüe|vigile|use)\b",
                     re.IGNORECASE),
}
LETTER = ("templates/verdicts/guidance.html", "vendor_guidance.json")


@pytest.mark.parametrize("language", ["ca", "es"])
def test_the_catalogues_address_the_reader_informally_except_in_the_letter_to_another_company(language):
    po = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    catalogue = (ROOT / "deliverability" / "verdicts" / "_catalogue.py").read_text().splitlines()
    letter_sentences = {json.loads(line.strip()[len("gettext_noop("):-2]) for before, line in
                        zip(catalogue, catalogue[1:], strict=False) if "vendor_guidance.json" in before}
    formal = []
    for entry in po:
        where = " ".join(path for path, _line in entry.occurrences)
        if any(letter in where for letter in LETTER) or entry.msgid in letter_sentences:
            continue
        text = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
        if FORMAL[language].search(text):
            formal.append((entry.msgid[:60], FORMAL[language].search(text).group(0)))
    assert not formal, formal[:10]


# --- 7. Upload status -----------------------------------------------------------------------------------------


def test_an_upload_that_imported_nothing_is_listed_in_the_words_of_its_own_page(client, portal):
    upload = portal["upload"]
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.FAILED,
                                               summary={**upload.summary, "nothing_imported": True},
                                               error="Nothing was imported from e.csv: none of its 3 rows could be read.")
    _reader(client, portal["user"], "ca")
    _, listed, _ = _read(client, reverse("organization", args=[portal["org"].slug]))
    _, page, _ = _read(client, reverse("upload_detail", args=[portal["org"].slug, upload.pk]))
    assert "No s'ha importat res" in page and "No s'ha importat res" in listed
    assert "Ha fallat" not in listed
    # Why, in the reader's language (said again from the upload's summary: the worker stored it in English).
    assert "No s'ha importat res de e.csv" in page and "could be read" not in page


# --- 8. A refused action --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "reason"), [
    ("ca", "El teu rol en aquesta organització és només de lectura."),
    ("es", "Tu rol en esta organización es de solo lectura."),
])
def test_a_viewer_on_a_managers_page_reads_why_in_the_sites_layout(client, portal, viewer_b, language, reason):
    viewer = make_user("viewer-of-acme")
    make_membership(viewer, portal["org"], "viewer")
    _reader(client, viewer, language)
    response = client.get(reverse("upload_new", args=[portal["org"].slug]))
    assert response.status_code == 403
    html = response.content.decode()
    assert f'<html lang="{language}">' in html and 'class="topbar"' in html  # the base layout
    assert reason in html and "read-only" not in html
    assert f'href="{reverse("organization", args=[portal["org"].slug])}"' in html  # the way back
    # Importing an upload again is a manager's action too: the same page, not a bare 403.
    refused = client.post(reverse("upload_detail", args=[portal["org"].slug, portal["upload"].pk]), {"map_0": "email"})
    assert refused.status_code == 403 and reason in refused.content.decode()
    # Another tenant's organisation stays a 404 (its existence is not disclosed).
    _reader(client, viewer_b, language)
    assert client.get(reverse("upload_new", args=[portal["org"].slug])).status_code == 404
