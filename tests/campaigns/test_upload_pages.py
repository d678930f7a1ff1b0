"""The upload pages: upload, progress, column mapping (remembered per organisation), hostile files."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deliverability.campaigns import services
from deliverability.campaigns.models import Event, SavedColumnMapping, Upload

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "hostile"
# Statuses in words we do not read: the upload asks what the columns hold and what the values mean.
ODD_CSV = b"Kontakt;Ergebnis;Zeit\nana@acme.com;zugestellt;2026-11-02T09:00:00Z\nbob@acme.com;unzustellbar;2026-11-02T09:01:00Z\n"
MEANINGS = {"status_value_0": "zugestellt", "status_0": "delivered", "status_value_1": "unzustellbar", "status_1": "bounce"}


def post_upload(client, org, data: bytes, name: str, campaign="Autumn"):
    return client.post(reverse("upload_new", args=[org.slug]),
                       {"file": SimpleUploadedFile(name, data), "campaign": campaign, "format": "auto"})


def run_pending(org):
    for upload in Upload.objects.filter(organization=org, status=Upload.Status.PENDING):
        services.run_import(upload.pk)


def test_manager_uploads_and_sees_the_summary(client, org_a, manager_a):
    client.force_login(manager_a)
    response = post_upload(client, org_a, b"email,status\nana@acme.com,delivered\n", "a.csv")
    upload = Upload.objects.get(organization=org_a)
    assert response["Location"] == reverse("upload_detail", args=[org_a.slug, upload.pk])
    run_pending(org_a)
    page = client.get(response["Location"]).content.decode()
    assert "Events stored" in page and "Autumn" in page


def test_upload_page_links_each_campaign_its_rows_named_and_no_other(client, org_a, manager_a):
    from deliverability.campaigns.models import Campaign

    client.force_login(manager_a)
    Campaign.objects.create(organization=org_a, name="Not in this file")
    data = b"email,status,campaign\nana@acme.com,delivered,Spring launch\nbob@acme.com,bounced,Summer sale\n"
    response = post_upload(client, org_a, data, "two.csv", campaign="")
    run_pending(org_a)
    page = client.get(response["Location"]).content.decode()
    for name in ("Spring launch", "Summer sale"):
        camp = Campaign.objects.get(organization=org_a, name=name)
        assert reverse("campaign", args=[org_a.slug, camp.pk]) in page
    other = Campaign.objects.get(organization=org_a, name="Not in this file")
    assert reverse("campaign", args=[org_a.slug, other.pk]) not in page


def test_the_same_file_twice_says_so(client, org_a, manager_a):
    client.force_login(manager_a)
    post_upload(client, org_a, b"email,status\nana@acme.com,delivered\n", "a.csv")
    response = post_upload(client, org_a, b"email,status\nana@acme.com,delivered\n", "copy.csv")
    assert Upload.objects.filter(organization=org_a).count() == 1
    assert "uploaded before" in client.get(response["Location"]).content.decode()


def test_unknown_columns_are_mapped_by_the_user_and_remembered(client, org_a, manager_a):
    """GIVEN a CSV whose headers we cannot read WHEN the manager maps them on the page THEN it imports,
    and the next file with the same layout imports without asking."""
    client.force_login(manager_a)
    post_upload(client, org_a, ODD_CSV, "odd.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.FAILED and upload.summary["needs_mapping"]
    page = client.get(reverse("upload_detail", args=[org_a.slug, upload.pk])).content.decode()
    assert "What each column holds" in page and "Kontakt" in page
    client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]),
                {"map_0": "email", "map_1": "event_type", "map_2": "occurred_at"} | MEANINGS)
    run_pending(org_a)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE, upload.error
    assert Event.objects.filter(upload=upload).count() == 2
    assert SavedColumnMapping.objects.filter(organization=org_a).count() == 1

    post_upload(client, org_a, ODD_CSV.replace(b"ana@", b"carla@"), "odd-2.csv")
    run_pending(org_a)
    second = Upload.objects.filter(organization=org_a).order_by("-id").first()
    assert second.status == Upload.Status.DONE, second.error
    assert services.columns_of(second.column_mapping) == {"Kontakt": "email", "Ergebnis": "event_type", "Zeit": "occurred_at"}
    assert services.statuses_of(second.column_mapping) == {"zugestellt": "delivered", "unzustellbar": "bounce"}


def test_a_viewer_cannot_post_a_mapping(client, org_a, viewer_a, manager_a):
    client.force_login(manager_a)
    post_upload(client, org_a, ODD_CSV, "odd.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    client.force_login(viewer_a)
    assert client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {"map_0": "email"}).status_code == 403


@pytest.mark.parametrize("path", sorted(HOSTILE.iterdir()) if HOSTILE.exists() else [], ids=lambda p: p.name)
def test_hostile_files_never_break_the_import_or_the_page(client, org_a, manager_a, path):
    client.force_login(manager_a)
    post_upload(client, org_a, path.read_bytes(), path.name)
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status in (Upload.Status.DONE, Upload.Status.FAILED)
    if upload.status == Upload.Status.FAILED:
        assert upload.error and "Traceback" not in upload.error
    page = client.get(reverse("upload_detail", args=[org_a.slug, upload.pk]))
    assert page.status_code == 200
    assert b"<script>alert" not in page.content  # whatever the file held is shown escaped


def test_progress_endpoint_reports_rows_and_finish(client, org_a, manager_a):
    client.force_login(manager_a)
    post_upload(client, org_a, b"email,status\nana@acme.com,delivered\n", "a.csv")
    upload = Upload.objects.get(organization=org_a)
    status_url = reverse("upload_status", args=[org_a.slug, upload.pk])
    assert client.get(status_url).json()["finished"] is False
    run_pending(org_a)
    Upload.objects.filter(pk=upload.pk).update(analyzed_at="2026-11-27T00:00:00Z")
    data = client.get(status_url).json()
    assert (data["finished"], data["percent"], data["rows_done"]) == (True, 100, 1)


def _zip_bomb() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("results.csv", "w") as member:
            member.write(b"email,status\n")
            chunk = b"\0" * (1 << 20)
            for _ in range(200):  # 200 MB of zeros, about 200 KB compressed
                member.write(chunk)
        archive.writestr("../../etc/passwd.csv", "email,status\nroot@evil.com,delivered\n")
    return buffer.getvalue()


@pytest.mark.parametrize("name,make", [
    ("bomb.zip", _zip_bomb),
    ("huge-cell.csv", lambda: b"email,status,smtp_response\nana@acme.com,bounce,550 " + b"x" * (10 << 20) + b"\nbob@acme.com,delivered,250 OK\n"),
    ("binary.csv", lambda: bytes(range(256)) * 4000),
], ids=["zip-bomb-and-traversal", "10MB-cell", "binary-named-csv"])
def test_generated_hostile_files_are_contained(client, org_a, manager_a, name, make):
    client.force_login(manager_a)
    response = post_upload(client, org_a, make(), name)
    if name == "bomb.zip":  # refused from its central directory before it is stored (test_upload_limits)
        assert response.status_code == 413 and not Upload.objects.exists()
        return
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status in (Upload.Status.DONE, Upload.Status.FAILED)
    assert not Event.objects.filter(recipient__email="root@evil.com").exists()
    if name == "huge-cell.csv":
        assert upload.status == Upload.Status.DONE
        assert Event.objects.filter(upload=upload).count() == 2
    assert client.get(reverse("upload_detail", args=[org_a.slug, upload.pk])).status_code == 200


def test_the_upload_page_says_when_the_analysis_could_not_check_dns(client, org_a, manager_a):
    """GIVEN an upload whose analysis got no DNS answer for 3 of its 4 domains (the resolver answered
    nothing) WHEN its page is shown THEN it says so, with the counts, where the user looks."""
    from deliverability.campaigns.models import Upload as UploadModel
    from tests.campaigns.test_import import csv_bytes, upload_and_import

    upload = upload_and_import(org_a, csv_bytes())
    UploadModel.objects.filter(pk=upload.pk).update(
        analysis={"domains": 4, "unresolved": 3, "resolver_unreachable": True})
    client.force_login(manager_a)
    page = client.get(reverse("upload_detail", args=[org_a.slug, upload.pk])).content.decode()
    assert 'id="enrichment-missing"' in page
    assert "DNS enrichment missing for 3 of 4 domains" in page and "The DNS resolver answered nothing" in page


def test_an_upload_imported_without_analysis_says_so(client, org_a, manager_a):
    from deliverability.campaigns.models import Upload as UploadModel
    from tests.campaigns.test_import import csv_bytes, upload_and_import

    upload = upload_and_import(org_a, csv_bytes())
    UploadModel.objects.filter(pk=upload.pk).update(analysis={"skipped": "imported with --no-enrich"})
    client.force_login(manager_a)
    page = client.get(reverse("upload_detail", args=[org_a.slug, upload.pk])).content.decode()
    assert "Imported without analysis (imported with --no-enrich)" in page and "Imported, not analysed" in page
