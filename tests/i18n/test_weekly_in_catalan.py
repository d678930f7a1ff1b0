"""Issue 23: the weekly review's digest email and PDF in Catalan (the demo's November week, imported and
analysed for real). The PDF is kept in test-artifacts/ (weekly-review-ca.pdf) to be looked at; its
browser rendering is tests/browser/test_i18n_browser.py."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from deliverability.accounts.models import Organization, Profile
from deliverability.campaigns import services
from deliverability.campaigns.demo import write_demo_csv
from deliverability.dashboard import digest, snapshots, weekly_views
from deliverability.dashboard.models import WeeklySnapshot
from deliverability.verdicts.analysis import analyze_upload
from tests.factories import make_membership, make_user
from tests.i18n.test_translated_pages import VisibleText, english_fragments

NOVEMBER = date(2026, 11, 2)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def org(db, tmp_path):
    org = Organization.objects.create(name="Lumen Analytics", slug="lumen", timezone="Europe/Madrid")
    path = tmp_path / "demo.csv"
    write_demo_csv(path, seed=7)
    upload = services.run_import(services.receive_upload(org, path, original_name="demo.csv").upload.pk)
    analyze_upload(upload.pk)
    return org


def _left(text: str) -> list[str]:
    return sorted(f for f in english_fragments() if f in text)


def test_the_digest_reads_in_its_recipients_language(org):
    marta = make_user("marta")
    marta.email = "marta@lumen.example"
    marta.save()
    make_membership(marta, org, "viewer")
    Profile.objects.create(user=marta, language="ca")
    snapshot = WeeklySnapshot(organization=org, week=NOVEMBER, payload=snapshots.compute_week(org, NOVEMBER))

    message = digest.build_message(snapshot, marta)
    assert message.to == ["marta@lumen.example"]
    assert message.subject.startswith("Revisió setmanal, Lumen Analytics, setmana del 02/11/2026: "
                                      "taxa de rebot B2B "), message.subject
    assert re.search(r"taxa de rebot B2B \d+,\d\d %", message.subject), message.subject
    assert "Setmana del 02/11/2026 al 08/11/2026 (Europe/Madrid)" in message.body
    assert not _left(message.body), _left(message.body)[:5]
    parser = VisibleText()
    parser.feed(message.alternatives[0][0])
    assert '<html lang="ca">' in message.alternatives[0][0]
    assert not _left(parser.text()), _left(parser.text())[:5]
    assert re.search(r"\d+,\d\d\u00a0%", parser.text())

    # The same snapshot to an English reader: English, as before.
    ann = make_user("ann")
    make_membership(ann, org, "viewer")
    english = digest.build_message(snapshot, ann)
    assert english.subject.startswith("Weekly review, Lumen Analytics, week of 02 Nov 2026")


def test_the_pdf_is_in_the_organisations_language_whoever_downloads_it(org, client):
    if not weekly_views.pdf_available():
        pytest.skip("WeasyPrint's Pango libraries are not installed")
    org.language = "ca"
    org.save()
    staff = make_user("staff", is_staff=True)
    Profile.objects.create(user=staff, language="en")  # the agency reads English; the client's PDF stays Catalan
    client.force_login(staff)
    page = client.get(reverse("weekly_week", args=[org.slug, NOVEMBER.isoformat()]))
    assert '<html lang="en">' in page.content.decode()

    response = client.get(reverse("weekly_pdf", args=[org.slug, NOVEMBER.isoformat()]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "weekly-review-ca.pdf").write_bytes(response.content)
    # The HTML the PDF is made from, for the same English-reading staff user: Catalan, no English
    # catalogue sentence, Catalan figures.
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user, request.org, request.role = staff, org, "staff"
    html = weekly_views.pdf_page(request, org, NOVEMBER).decode()
    assert '<html lang="ca">' in html
    parser = VisibleText()
    parser.feed(html)
    text = parser.text() + " " + " ".join(re.findall(r">([^<>]+)</text>", html))  # the SVG charts' labels
    assert "Què eren realment els rebots permanents notificats" in text and "Pàgina" in html
    assert not _left(text), _left(text)[:5]
    assert re.search(r"\d+,\d\d\u00a0%", text)
