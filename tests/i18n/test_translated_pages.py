"""Issue 23, the chrome: every page a client uses, rendered in Catalan and in Spanish, shows no sentence of
the English catalogue (page text, titles, placeholders, chart titles, legends and hover labels), and
writes numbers, percentages and dates as its reader does (1.234, 11,2 %, 02/11/2026).

The data is a campaign imported and analysed for real (tests/portal_data.py), so the content sentences
(headline, evidence) are the engine's, as stored by a worker, and read in the page's language."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from deliverability.accounts.models import Profile
from deliverability.campaigns.models import Upload
from deliverability.ingest.values import monday_of_day
from tests.portal_data import SUBJECT

ROOT = Path(__file__).resolve().parents[2]
SPLIT = re.compile(r"%\([a-z_]+\)[sdr]|%[sd%]|\{[a-z_]+\}|%\{[^}]+\}|<[^>]+>|[“”\"«»]")
WORD = re.compile(r"[A-Za-z]{2,}")
SPACES = re.compile(r"[ \t\r\n]+")
SKIP_TAGS = {"script", "style", "pre", "code"}
ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
FIGURE_KEYS = {"text", "name", "hovertemplate", "hovertext", "ticktext"}


def english_fragments() -> set[str]:
    """Runs of at least three English words of every catalogue entry whose translations differ from it,
    cut at placeholders and tags; pieces that the translations keep as they are (product and ESP names,
    menu paths) are left out."""
    fragments: set[str] = set()
    catalogues = [polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po")) for lang in ("ca", "es")]
    translations: dict[tuple, str] = {}
    for po in catalogues:
        for e in po:
            text = " ".join([e.msgstr, *e.msgstr_plural.values()])
            translations[(e.msgctxt, e.msgid)] = translations.get((e.msgctxt, e.msgid), "") + " " + text
    for e in catalogues[0]:
        kept = translations[(e.msgctxt, e.msgid)]
        for source in filter(None, (e.msgid, e.msgid_plural)):
            for piece in SPLIT.split(source):
                piece = " ".join(piece.split()).strip(" ,.;:()·→—–-")
                if len(WORD.findall(piece)) >= 3 and len(piece) >= 15 and piece not in kept:
                    fragments.add(piece)
    return fragments


class VisibleText(HTMLParser):
    """What a reader sees: text outside script/style and the verbatim replies (pre, code, .diag cells),
    the visible attributes, and the Plotly figures' titles, legends and hover labels."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.figures: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.json_script = False

    def _hidden(self) -> bool:
        return any(hidden for _tag, hidden in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden = tag in SKIP_TAGS or "diag" in (attrs.get("class") or "").split()
        self.json_script = tag == "script" and attrs.get("type") == "application/json"
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            self.stack.append((tag, hidden))
        if not self._hidden():
            self.parts.extend(value for name, value in attrs.items() if name in ATTRIBUTES and value)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        self.json_script = False

    def handle_data(self, data):
        if self.json_script:
            self.figures.append(data)
        elif not self._hidden():
            self.parts.append(data)

    def text(self) -> str:
        return SPACES.sub(" ", " ".join(self.parts)).strip()  # ASCII white space only: keeps the no-break space of "11,2 %"

    def figure_text(self) -> str:
        found: list[str] = []

        def walk(node, key=None):
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, k)
            elif isinstance(node, list):
                for v in node:
                    walk(v, key)
            elif isinstance(node, str) and key in FIGURE_KEYS:
                found.append(node)

        for data in self.figures:
            walk(json.loads(data))
        return " ".join(" ".join(found).split())


def monday_of(moment, tz) -> str:
    return monday_of_day(moment.astimezone(tz).date()).isoformat()


def client_pages(p) -> dict[str, str]:
    org, campaign = p["org"].slug, p["campaign"].pk
    return {
        "home": reverse("home"),
        "organization": reverse("organization", args=[org]),
        "campaign": reverse("campaign", args=[org, campaign]),
        "recipient": reverse("campaign_recipient", args=[org, campaign, p["verdict"].recipient_id]),
        "domain": reverse("org_domain", args=[org, p["verdict"].domain]),
        "vendor": reverse("org_vendor", args=[org, p["vendor"]]),
        "guidance": reverse("vendor_guidance", args=[org, p["vendor"]]),
        "search": reverse("search", args=[org]) + f"?q={SUBJECT}",
        "weekly": reverse("weekly_latest", args=[org]),
        "weekly_of_the_campaign": reverse("weekly_week", args=[org, monday_of(p["campaign"].sent_at, p["org"].tzinfo)]),
        "glossary": reverse("glossary"),
        "sender_health": reverse("sender_health", args=[org]),
        "sender_settings": reverse("sender_settings", args=[org]),
        "upload_new": reverse("upload_new", args=[org]),
        "upload_detail": reverse("upload_detail", args=[org, p["upload"].pk]),
        "upload_delete": reverse("upload_delete", args=[org, p["upload"].pk]),
        "recovery_exports": reverse("recovery_exports", args=[org, campaign]),
        "integrations": reverse("integrations", args=[org]),
    }


ENGLISH_PERCENT = re.compile(r"\d\.\d+ ?%")
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


@pytest.mark.parametrize("language", ["ca", "es"])
def test_every_client_page_reads_in_catalan_and_spanish(client, portal, language):
    Profile.objects.create(user=portal["user"], language=language)
    client.force_login(portal["user"])
    fragments = english_fragments()
    assert len(fragments) > 500
    seen = {}
    for name, url in client_pages(portal).items():
        response = client.get(url, follow=True)
        assert response.status_code == 200, (name, response.status_code)
        parser = VisibleText()
        parser.feed(response.content.decode())
        text, charts = parser.text(), parser.figure_text()
        assert f'<html lang="{language}">' in response.content.decode(), name
        left = sorted(f for f in fragments if f in text or f in charts)
        assert not left, f"{name} ({url}) shows English catalogue text in {language}: {left[:6]}"
        assert not ENGLISH_PERCENT.search(text), (name, ENGLISH_PERCENT.search(text).group(0))
        assert not ISO_DATE.search(text), (name, ISO_DATE.search(text).group(0))
        seen[name] = text + " " + charts
    # Numbers, percentages and dates as a Catalan or Spanish reader writes them.
    assert "12.345" in seen["campaign"]
    for name in ("weekly_of_the_campaign", "organization"):
        assert re.search(r"\d+,\d+\u00a0%", seen[name]), (name, re.findall(r".{12}%", seen[name])[:8])
    assert re.search(r"\b\d\d/\d\d/20\d\d\b", seen["organization"])
    assert re.search(r"\b\d\d/\d\d/20\d\d \d", seen["recipient"])


def test_counts_and_percentages_filters_per_language():
    template = Template("{% load labels %}{{ n|num }} {{ r|pct:1 }} {{ none|pct:1 }}")
    context = Context({"n": 1234, "r": 11.24, "none": None})
    with translation.override("ca"):
        assert template.render(context) == "1.234 11,2\u00a0% —"
    with translation.override("es"):
        assert template.render(context) == "1.234 11,2\u00a0% —"
    with translation.override("en"):
        assert template.render(context) == "1234 11.2% —"  # English as the product always wrote it


def test_a_pending_upload_page_reads_in_catalan_too(client, portal):
    """The upload page while its file waits (the status text a client sees first)."""
    Upload.objects.filter(pk=portal["upload"].pk).update(status=Upload.Status.PENDING)
    Profile.objects.create(user=portal["user"], language="ca")
    client.force_login(portal["user"])
    parser = VisibleText()
    parser.feed(client.get(reverse("upload_detail", args=[portal["org"].slug, portal["upload"].pk])).content.decode())
    left = sorted(f for f in english_fragments() if f in parser.text())
    assert not left, left[:6]


@pytest.mark.parametrize("language", ["ca", "es"])
def test_the_sign_in_pages_follow_the_browser(client, db, language):
    """Before signing in, the browser's Accept-Language decides (and nothing is saved anywhere)."""
    fragments = english_fragments()
    for url in (reverse("login"), reverse("password_reset")):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=f"{language}-ES,{language};q=0.9,en;q=0.5")
        parser = VisibleText()
        parser.feed(response.content.decode())
        assert f'<html lang="{language}">' in response.content.decode()
        assert not [f for f in fragments if f in parser.text()], url


def test_the_products_csv_reports_name_their_columns_in_the_readers_language(client, portal):
    """The product's own reports (not the files made for an ESP) head their columns in the reader's words."""
    client.force_login(portal["user"])
    url = reverse("campaign", args=[portal["org"].slug, portal["campaign"].pk]) + "?csv=domains"
    english = b"".join(client.get(url, HTTP_ACCEPT_LANGUAGE="en").streaming_content).decode()
    assert english.startswith("\ufeffdomain,kind,vendor,recipients,delivered,bounced,")
    client.post(reverse("set_language"), {"language": "ca", "next": "/"})  # the switcher
    catalan = b"".join(client.get(url).streaming_content).decode()
    # ";" between cells where the reader's decimal separator is "," (as Excel expects there)
    assert catalan.startswith("\ufeffdomini;tipus;proveïdor;destinataris;lliurats;rebotats;")
