"""The organisation page's uploads: people's files in "Recent uploads", the webhook micro-batches (one upload
a minute per endpoint, no file) summarised one line per endpoint, each batch still a click away."""
from __future__ import annotations

import pytest
from django.urls import reverse

from deliverability.campaigns.models import Upload
from deliverability.dashboard.sharing import RECENT_UPLOADS
from deliverability.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def _upload(org, name: str, events: int, **fields) -> Upload:
    return Upload.objects.create(organization=org, original_name=name, sha256=name, status=Upload.Status.DONE,
                                 rows_done=events, summary={"events": events, **fields.pop("summary", {})}, **fields)


def _batches(endpoint, count: int, events: int) -> list[Upload]:
    return [_upload(endpoint.organization, f"SendGrid webhook · {endpoint.name} · {i} requests", events, file="",
                    summary={"webhook_endpoint": endpoint.pk}) for i in range(count)]


def test_webhook_batches_leave_the_files_visible_and_are_one_line_per_endpoint(client, org_a, viewer_a):
    mine = _upload(org_a, "november-export.csv", 40, file="uploads/november.csv")
    erased = _upload(org_a, "october-export.csv", 30, file="", summary={"original_removed": "removed"})
    main = WebhookEndpoint.objects.create(organization=org_a, esp="sendgrid", name="Main account")
    other = WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name="Transactional")
    main_batches = _batches(main, RECENT_UPLOADS + 5, 2)  # newer than the files: they used to push them out
    _batches(other, 3, 1)
    client.force_login(viewer_a)
    html = client.get(reverse("organization", args=[org_a.slug])).content.decode()
    recent = html[html.index("Recent uploads"):html.index('id="webhook-batches"')]
    assert "november-export.csv" in recent and "october-export.csv" in recent  # an erased file stays a file
    assert "webhook ·" not in recent
    assert reverse("upload_detail", args=[org_a.slug, mine.pk]) in recent
    assert reverse("upload_detail", args=[org_a.slug, erased.pk]) in recent
    summary = html[html.index('id="webhook-batches"'):]
    assert "SendGrid · Main account" in summary and "Postmark · Transactional" in summary
    assert f'<td class="num">{RECENT_UPLOADS + 5}</td><td class="num">{2 * (RECENT_UPLOADS + 5)}</td>' in summary
    assert reverse("upload_detail", args=[org_a.slug, main_batches[-1].pk]) in summary  # the latest batch

    listed = client.get(reverse("organization", args=[org_a.slug]), {"batches": main.pk}).content.decode()
    listed = listed[listed.index('id="batches"'):]
    for batch in main_batches:  # every batch's page is reachable
        assert reverse("upload_detail", args=[org_a.slug, batch.pk]) in listed
    assert "Transactional ·" not in listed
    assert client.get(reverse("upload_detail", args=[org_a.slug, main_batches[0].pk])).status_code == 200


def test_another_organisations_endpoint_lists_nothing(client, org_a, org_b, viewer_a):
    theirs = WebhookEndpoint.objects.create(organization=org_b, esp="sendgrid", name="Theirs")
    _batches(theirs, 2, 1)
    client.force_login(viewer_a)
    html = client.get(reverse("organization", args=[org_a.slug]), {"batches": theirs.pk}).content.decode()
    assert "Theirs" not in html and 'id="webhook-batches"' not in html and 'id="batches"' not in html
