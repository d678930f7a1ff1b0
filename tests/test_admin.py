"""The Django admin acts through the same services as the pages."""
from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.urls import reverse

from deliverability.accounts.models import AuditEvent
from deliverability.campaigns.models import Campaign, Event, Upload
from deliverability.campaigns.signals import campaigns_changed
from deliverability.verdicts.models import CampaignDiagnosis
from tests.portal_data import import_campaign, recent


def _superuser_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@agency.example", "pw")
    client.force_login(admin)
    return client


def test_deleting_an_upload_in_the_admin_removes_its_events_and_file_and_recomputes(client, org_a, tmp_path):
    """GIVEN an imported, analysed upload, the only one of its campaign, WHEN a superuser deletes it
    in the admin THEN its events, original file and now empty campaign are gone, campaigns_changed
    is sent (the dashboards recompute) and the audit log says who deleted it."""
    upload = import_campaign(org_a, tmp_path, "October", recent())
    stored_file = upload.file.path
    campaign_id = Event.objects.filter(upload=upload).values_list("campaign_id", flat=True).first()
    changed = []
    campaigns_changed.connect(lambda **kw: changed.append(kw["campaign_ids"]), weak=False, dispatch_uid="t-admin")
    try:
        response = _superuser_client(client).post(
            reverse("admin:campaigns_upload_delete", args=[upload.pk]), {"post": "yes"})
    finally:
        campaigns_changed.disconnect(dispatch_uid="t-admin")
    assert response.status_code == 302
    assert not Upload.objects.filter(pk=upload.pk).exists() and not Event.objects.filter(upload_id=upload.pk).exists()
    assert not os.path.exists(stored_file)
    assert changed == [[]]  # sent once; the campaign this upload alone filled went with it
    assert not Campaign.objects.filter(pk=campaign_id).exists()
    assert not CampaignDiagnosis.objects.filter(campaign_id=campaign_id).exists()
    entry = AuditEvent.objects.get(action=AuditEvent.Action.UPLOAD_DELETE)
    assert entry.username == "root" and entry.organization == org_a and entry.detail["upload_id"] == upload.pk


def test_bulk_delete_in_the_admin_goes_through_the_service_for_each_upload(client, org_a, tmp_path):
    first = import_campaign(org_a, tmp_path, "October", recent(), prefix="a")
    second = import_campaign(org_a, tmp_path, "November", recent(), prefix="b")
    response = _superuser_client(client).post(reverse("admin:campaigns_upload_changelist"), {
        "action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Event.objects.exists() and not Upload.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPLOAD_DELETE).count() == 2
