"""Erasure: after it, the address is nowhere in the database; the audit log keeps only the fact."""
from __future__ import annotations

from django.apps import apps
from django.db import models
from django.urls import reverse

from deliverability.accounts.audit import address_fingerprint
from deliverability.accounts.models import AuditEvent
from deliverability.campaigns.models import Campaign, Event, Recipient
from deliverability.verdicts.erasure import erase_address
from deliverability.verdicts.models import CampaignDiagnosis, CampaignNote, CampaignSignatureStat, RecipientVerdict
from deliverability.verdicts.services import set_override
from tests.portal_data import SUBJECT, import_campaign, recent

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def rows_mentioning(address: str) -> list[str]:
    """Every (table, column, pk) in every installed model whose text holds the address."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            lookup = f"{field.name}__icontains"
            if isinstance(field, models.JSONField):
                # JSON is searched as its text (SQLite and PostgreSQL both cast for icontains via a string).
                matches = [obj.pk for obj in model.objects.only("pk", field.name)
                           if address in str(getattr(obj, field.name)).lower()]
            else:
                matches = list(model.objects.filter(**{lookup: address}).values_list("pk", flat=True))
            found += [f"{model._meta.db_table}.{field.column}#{pk}" for pk in matches]
    return found


def test_erasure_leaves_no_trace_of_the_address_outside_the_audit_fact(client, org_a, org_b, staff, tmp_path):
    import_campaign(org_a, tmp_path, "October newsletter", recent(40), prefix="oct")
    import_campaign(org_a, tmp_path, "November newsletter", recent(10), prefix="nov")
    import_campaign(org_b, tmp_path, "Borealis launch", recent(5), prefix="bor")  # the same person at another client
    november = Campaign.objects.get(organization=org_a, name="November newsletter")
    row = RecipientVerdict.objects.get(campaign=november, email=SUBJECT)
    set_override(row, "filter_rejection", staff, note=f"{SUBJECT} confirmed by phone that she exists")
    CampaignNote.objects.create(campaign=november, body=f"We called {SUBJECT.upper()} about it.", author=staff)
    recipients_before = CampaignDiagnosis.objects.get(campaign=november).recipients
    client.force_login(staff)
    # Browsing and exporting leave their own audit entries: none may hold the address either.
    client.get(reverse("search", args=[org_a.slug]) + f"?q={SUBJECT}&csv=history")
    assert rows_mentioning(SUBJECT)

    response = client.post(reverse("erase_address", args=[org_a.slug]), {"email": SUBJECT.upper(), "confirm": "on"})
    assert response.status_code == 200 and SUBJECT.encode() not in response.content

    leftovers = list(rows_mentioning(SUBJECT))
    org_b_rows = {f"campaigns_recipient.email#{r.pk}" for r in Recipient.objects.filter(organization=org_b)}
    org_b_rows |= {f"campaigns_recipientsearch.email#{r.pk}" for r in Recipient.objects.filter(organization=org_b)}
    org_b_rows |= {f"verdicts_recipientverdict.email#{v.pk}" for v in RecipientVerdict.objects.filter(organization=org_b)}
    org_b_rows |= {f"verdicts_recipientverdict.{column}#{v.pk}" for column in ("diagnostic", "evidence")
                   for v in RecipientVerdict.objects.filter(organization=org_b)}
    org_b_rows |= {f"campaigns_diagnostic.text#{e.diagnostic_id}" for e in Event.objects.filter(organization=org_b)
                   if e.diagnostic_id}
    # The vendor page's rollup keeps an example bounce text per signature: org B's, from its own verdicts.
    org_b_rows |= {f"verdicts_campaignsignaturestat.example#{r.pk}"
                   for r in CampaignSignatureStat.objects.filter(campaign__organization=org_b)}
    assert leftovers and set(leftovers) <= org_b_rows, "only the other organisation's own data may keep it"
    assert not Recipient.objects.filter(organization=org_a, email=SUBJECT).exists()
    assert Recipient.objects.filter(organization=org_b, email=SUBJECT).exists()
    # Figures are recomputed without the address.
    assert CampaignDiagnosis.objects.get(campaign=november).recipients == recipients_before - 1
    # The audit log keeps the fact (and a keyed hash), not the address.
    erasure = AuditEvent.objects.get(action="erasure")
    assert erasure.organization == org_a and erasure.username == "staff"
    assert erasure.detail["recipients"] == 1 and erasure.detail["events"] >= 2
    assert SUBJECT not in str(erasure.detail) and SUBJECT not in erasure.summary
    assert erasure.detail["fingerprint"] == address_fingerprint(org_a, SUBJECT)
    assert erasure.detail["fingerprint"] != address_fingerprint(org_b, SUBJECT)
    # The stored originals of org A's files that held the address are gone; org B's file stays.
    from deliverability.campaigns.models import Upload

    assert erasure.detail["files_removed"] == 2
    for upload in Upload.objects.filter(organization=org_a):
        assert not upload.file and "erasure" in upload.summary["original_removed"]
    (kept,) = Upload.objects.filter(organization=org_b)
    assert SUBJECT.encode() in kept.file.open("rb").read().lower()


def test_erasing_an_unknown_address_is_recorded_and_harmless(org_a, staff):
    result = erase_address(org_a, "nobody@example.test", staff)
    assert result.recipients == 0 and AuditEvent.objects.filter(action="erasure").count() == 1


def test_exports_after_erasure_do_not_contain_the_address(client, org_a, staff, tmp_path):
    import_campaign(org_a, tmp_path, "November newsletter", recent(10), prefix="nov")
    november = Campaign.objects.get(organization=org_a)
    erase_address(org_a, SUBJECT, staff)
    client.force_login(staff)
    for url in (reverse("campaign", args=[org_a.slug, november.pk]) + "?csv=recipients",
                reverse("campaign_recovery_list", args=[org_a.slug, november.pk])):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200 and SUBJECT.encode() not in body.lower()
