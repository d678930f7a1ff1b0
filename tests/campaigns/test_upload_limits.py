"""UPLOAD_MAX_BYTES: the upload page refuses a larger file before storing it, naming its size and the limit."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from deliverability.campaigns import limits
from deliverability.campaigns.models import Upload


def _csv(size: int) -> bytes:
    header = b"email,status\n"
    row = b"someone@example.com,delivered\n"
    body = header + row * (size // len(row) + 1)
    return body[:size]


def _stored_files() -> set[Path]:
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def test_a_file_over_the_limit_is_refused_before_it_is_stored(client, org_a, manager_a, settings):
    """GIVEN a 1,000-byte limit WHEN a 5,626-byte file is uploaded THEN 413, a message with both sizes, nothing stored."""
    settings.UPLOAD_MAX_BYTES = 1000
    client.force_login(manager_a)
    before = _stored_files()
    response = client.post(reverse("upload_new", args=[org_a.slug]),
                           {"file": SimpleUploadedFile("big.csv", _csv(5626)), "campaign": "Autumn", "format": "auto"})
    assert response.status_code == 413
    page = response.content.decode()
    assert "big.csv is 5.5\xa0KB (5,626 bytes)" in page
    assert "limit of 1000\xa0bytes (1,000 bytes, UPLOAD_MAX_BYTES)" in page
    assert not Upload.objects.exists()
    assert _stored_files() == before


def test_the_upload_page_says_the_limit(client, org_a, manager_a, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    client.force_login(manager_a)
    assert "(up to 1000\xa0bytes)" in client.get(reverse("upload_new", args=[org_a.slug])).content.decode()


def test_a_file_at_the_limit_is_accepted(client, org_a, manager_a, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    client.force_login(manager_a)
    response = client.post(reverse("upload_new", args=[org_a.slug]),
                           {"file": SimpleUploadedFile("ok.csv", _csv(1000)), "campaign": "Autumn", "format": "auto"})
    assert response.status_code == 302
    assert Upload.objects.get().original_name == "ok.csv"


def test_the_upload_form_still_needs_its_csrf_token(org_a, manager_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_a)
    response = client.post(reverse("upload_new", args=[org_a.slug]),
                           {"file": SimpleUploadedFile("ok.csv", _csv(100)), "format": "auto"})
    assert response.status_code == 403
    assert not Upload.objects.exists()


def test_the_handler_passes_on_nothing_past_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 10
    handler = limits.SizeLimitUploadHandler()
    handler.new_file("file", "x.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"12345678", 0) == b"12345678"
    assert handler.receive_data_chunk(b"12345678", 8) is None
    assert handler.receive_data_chunk(b"1234", 16) is None
    assert handler.file_complete(20) is None
    assert handler.refused.size == 20 and handler.refused.limit == 10


def test_check_path_names_the_file_its_size_and_the_limit(tmp_path, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    path = tmp_path / "results.csv"
    path.write_bytes(_csv(5626))
    with pytest.raises(limits.FileTooLarge) as refused:
        limits.check_path(path)
    assert str(refused.value).startswith("results.csv is 5.5\xa0KB (5,626 bytes)")
    path.write_bytes(_csv(1000))
    limits.check_path(path)  # at the limit: accepted


def _bomb(path, members=3000, member_bytes=100_000):
    """Many small members of zeros: each under the per-member ratio check, together a bomb."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(members):
            archive.writestr(f"part-{i}.csv", b"email,status\n" + b"\0" * member_bytes)
    return path


def test_a_zip_of_many_small_members_is_refused_on_the_page_before_it_is_stored(client, org_a, manager_a, tmp_path):
    path = _bomb(tmp_path / "bomb.zip")
    client.force_login(manager_a)
    response = client.post(reverse("upload_new", args=[org_a.slug]),
                           {"file": SimpleUploadedFile("bomb.zip", path.read_bytes()), "format": "auto"})
    assert response.status_code == 413
    assert "bomb.zip is refused: its files unpack to 286.1 MB" in response.content.decode()
    assert "more than 100× its own size" in response.content.decode()
    assert not Upload.objects.exists()


def test_a_zip_declaring_more_than_the_upload_limit_is_refused(client, org_a, manager_a, tmp_path, settings):
    settings.UPLOAD_MAX_BYTES = 50_000
    path = tmp_path / "members.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        rows = "".join(f"{hashlib.sha1(str(i).encode()).hexdigest()}@example.com,delivered\n" for i in range(1200))
        archive.writestr("a.csv", "email,status\n" + rows)
    assert path.stat().st_size < 50_000
    client.force_login(manager_a)
    response = client.post(reverse("upload_new", args=[org_a.slug]),
                           {"file": SimpleUploadedFile("members.zip", path.read_bytes()), "format": "auto"})
    assert response.status_code == 413
    assert "more than the limit of 48.8 KB (50,000 bytes)" in response.content.decode()
