"""A deleted or failed upload leaves nothing behind; a double submit ends on one upload and one file."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign, Event, Recipient, RecipientSearch, Upload
from tests.campaigns.test_import import csv_bytes, upload_and_import
from tests.concurrency import run_at_once

SECOND = [
    "ana@acme-logistics.com,delivered,250 2.0.0 OK,2026-11-10T09:00:00Z,Winter sale",
    "frank@initech.example,bounce,550 5.1.1 unknown,2026-11-10T09:00:01Z,Winter sale",
]


class SimulatedCrash(Exception):
    pass


def stored_copies(org, sha256: str) -> list[Path]:
    """The files stored for one content hash in an organisation's folder (the media folder outlives each
    test's database, so other tests' files may sit beside them)."""
    folder = Path(settings.MEDIA_ROOT) / "uploads" / str(org.pk) / sha256[:2]
    return sorted(folder.glob(f"{sha256}*")) if folder.exists() else []


def test_deleting_an_upload_removes_what_only_it_brought(org_a, client, viewer_a):
    """GIVEN two uploads sharing one address WHEN the first is deleted THEN its other addresses, their
    search rows and its campaigns are gone; the shared address, the second upload and its campaign stay."""
    first = upload_and_import(org_a, csv_bytes())
    second = upload_and_import(org_a, csv_bytes(SECOND), name="second.csv")
    for upload in (first, second):
        services.index_for_search(upload)
    assert Recipient.objects.filter(organization=org_a).count() == 6
    first_file = Path(first.file.path)

    services.delete_upload(first)

    assert set(Recipient.objects.filter(organization=org_a).values_list("email", flat=True)) == {
        "ana@acme-logistics.com", "frank@initech.example"}
    assert set(RecipientSearch.objects.filter(organization=org_a).values_list("email", flat=True)) == {
        "ana@acme-logistics.com", "frank@initech.example"}
    assert set(Campaign.objects.filter(organization=org_a).values_list("name", flat=True)) == {"Winter sale"}
    assert Event.objects.filter(organization_id=org_a.pk).count() == 2
    assert not first_file.exists() and Path(second.file.path).exists()
    client.force_login(viewer_a)
    page = client.get(reverse("search", args=[org_a.slug]) + "?q=bob").content.decode()
    assert "bob@acme-logistics.com" not in page


def test_a_two_row_upload_deleted_leaves_neither_address_searchable(org_a):
    upload = upload_and_import(org_a, csv_bytes(SECOND))
    services.index_for_search(upload)
    stored = Path(upload.file.path)
    services.delete_upload(upload)
    assert not Recipient.objects.exists() and not RecipientSearch.objects.exists() and not Campaign.objects.exists()
    assert not Upload.objects.exists() and not stored.exists()


def test_a_failed_import_keeps_its_row_and_nothing_else(org_a, settings):
    """GIVEN an import that fails after its first committed batch WHEN it is marked failed THEN its
    events, the recipients and the campaigns it created are gone; the upload row says why."""
    settings.IMPORT_BATCH_SIZE = 2
    rows = [f"user{i}@corp{i % 3}.example,delivered,250 OK,2026-11-02T09:00:00Z,Doomed send" for i in range(7)]
    received = services.receive_upload(org_a, io.BytesIO(csv_bytes(rows)), original_name="doomed.csv")

    def crash(result):
        raise SimulatedCrash

    services.run_import(received.upload.pk, on_batch=crash)
    upload = Upload.objects.get(pk=received.upload.pk)
    assert upload.status == Upload.Status.FAILED and upload.error
    assert not Event.objects.exists() and not Recipient.objects.exists() and not Campaign.objects.exists()
    assert Upload.objects.filter(pk=upload.pk).exists()  # the page says why; deleting it removes the file


def test_a_failed_import_keeps_the_default_campaign_a_retry_needs(org_a, settings):
    settings.IMPORT_BATCH_SIZE = 2
    rows = [f"user{i}@corp.example,delivered,250 OK,2026-11-02T09:00:00Z," for i in range(5)]
    received = services.receive_upload(org_a, io.BytesIO(csv_bytes(rows)), original_name="default.csv",
                                       campaign_name="Named on the page")

    def crash(result):
        raise SimulatedCrash

    services.run_import(received.upload.pk, on_batch=crash)
    upload = Upload.objects.get(pk=received.upload.pk)
    assert upload.status == Upload.Status.FAILED
    assert upload.campaign.name == "Named on the page" and not Recipient.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_new_file_posted_twice_at_once_ends_on_one_upload_and_one_file(org_a):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    data = csv_bytes()

    def post() -> services.Received:
        return services.receive_upload(org_a, io.BytesIO(data), original_name="twice.csv")

    received = run_at_once(post, post, timeout=60)  # raises a request's failure (it was a 500)
    assert len({r.upload.pk for r in received}) == 1 and sorted(r.created for r in received) == [False, True]
    assert Upload.objects.filter(organization=org_a).count() == 1
    upload = Upload.objects.get(organization=org_a)
    assert stored_copies(org_a, upload.sha256) == [Path(upload.file.path)]
