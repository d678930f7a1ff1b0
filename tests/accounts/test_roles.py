"""The manager role's label says what the role can do, and the code agrees with it.

Decision: notes for the client and verdict reviews stay with the agency's staff (the agency answers
for the verdicts); a manager uploads and deletes result files. A viewer gets 403 on those actions."""
from __future__ import annotations

from django.urls import reverse

from deliverability.accounts.models import Membership


def test_the_manager_label_claims_no_annotating():
    label = str(Membership.Role.MANAGER.label)
    assert "annotat" not in label.lower()
    assert "upload" in label.lower()


def test_members_page_offers_the_honest_label(client, staff, org_a):
    client.force_login(staff)
    page = client.get(reverse("members", kwargs={"org_slug": org_a.slug})).content.decode()
    assert "Manager (uploads result files)" in page and "annotates" not in page


def test_manager_uploads_but_neither_annotates_nor_reviews(client, org_a, manager_a, viewer_a, campaign_a):
    notes = reverse("campaign_notes", kwargs={"org_slug": org_a.slug, "campaign_id": campaign_a.pk})
    upload = reverse("upload_new", kwargs={"org_slug": org_a.slug})
    client.force_login(manager_a)
    assert client.get(upload).status_code == 200
    assert client.get(notes).status_code == 404  # staff pages do not exist for clients
    client.force_login(viewer_a)
    assert client.get(upload).status_code == 403  # the role lacks the action
