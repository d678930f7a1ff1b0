"""Erase one address from one organisation's data, on the data subject's request.

Removed: the recipient, its events, its verdicts in every campaign; the address is also redacted
wherever it appears as text in the organisation's data (bounce texts, override notes, campaign
notes, upload error lists). The campaigns it was in are then recomputed, so figures and exports
no longer count it. The audit log keeps that an erasure happened, with a keyed hash of the
address (to answer "was this address erased?"), never the address itself.

Layering: erasure crosses every layer (it deletes campaign data, then recomputes verdicts), so it
sits at the top beside ``retention``, which also deletes data and then recomputes.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from django.db import transaction

from deliverability.accounts import audit
from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Diagnostic, Event, Recipient, Upload
from deliverability.ingest.values import normalise_email
from deliverability.verdicts.models import CampaignNote, RecipientVerdict
from deliverability.verdicts.services import judge_campaign
from deliverability.webhooks.services import erase_payloads

REDACTED = "[erased address]"


@dataclass
class Erased:
    recipients: int = 0
    events: int = 0
    verdicts: int = 0
    campaigns_recomputed: int = 0
    texts_redacted: int = 0
    files_removed: int = 0


def normalise(email: str) -> str:
    """The address as the importer stores it (lower case, IDN domain in punycode)."""
    normal = normalise_email(email)
    return normal[0] if normal else email.strip().strip("<>").lower()


def _redact(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(REDACTED, text)


def erase_address(org: Organization, email: str, user) -> Erased:
    address = normalise(email)
    if "@" not in address:
        raise ValueError("not an email address")
    pattern = re.compile(re.escape(address), re.IGNORECASE)
    result = Erased()
    with transaction.atomic():
        recipients = list(Recipient.objects.filter(organization=org, email=address))
        ids = [r.pk for r in recipients]
        campaign_ids = set(Event.objects.filter(recipient_id__in=ids).values_list("campaign_id", flat=True).distinct())
        verdicts = RecipientVerdict.objects.filter(organization=org, email__iexact=address)
        campaign_ids |= set(verdicts.values_list("campaign_id", flat=True))
        # The original files that brought this address are removed too (their other rows stay
        # imported; only re-running those imports becomes impossible).
        upload_ids = set(Event.objects.filter(recipient_id__in=ids).values_list("upload_id", flat=True).distinct())
        result.events = Event.objects.filter(recipient_id__in=ids).delete()[0]
        result.verdicts = verdicts.delete()[0]
        result.recipients = Recipient.objects.filter(pk__in=ids).delete()[1].get("campaigns.Recipient", 0)

        # Bounce texts often quote the address ("550 5.1.1 <jane@…>: user unknown"); each distinct
        # text is one row shared by every organisation. A text no event uses any more goes; one this
        # organisation still uses (a report naming several recipients) is redacted; one only other
        # organisations use is their data (the same person mailed by another client) and stays.
        # (Event has no index on diagnostic: these are scans, acceptable for a rare request.)
        for diagnostic in Diagnostic.objects.filter(text__icontains=address):
            users = Event.objects.filter(diagnostic_id=diagnostic.pk)
            if users.filter(organization=org).exists():
                Diagnostic.objects.filter(pk=diagnostic.pk).update(text=_redact(diagnostic.text, pattern))
                result.texts_redacted += 1
            elif not users.exists():
                diagnostic.delete()
                result.texts_redacted += 1
        # Verdicts of other recipients quoting the address are rebuilt by the recomputation below
        # (from the redacted texts); their override notes are redacted here.
        quoting = RecipientVerdict.objects.filter(organization=org, diagnostic__icontains=address)
        campaign_ids |= set(quoting.values_list("campaign_id", flat=True))
        for row in RecipientVerdict.objects.filter(organization=org, override_note__icontains=address):
            RecipientVerdict.objects.filter(pk=row.pk).update(override_note=_redact(row.override_note, pattern))
            result.texts_redacted += 1
        for note in CampaignNote.objects.filter(campaign__organization=org, body__icontains=address):
            CampaignNote.objects.filter(pk=note.pk).update(body=_redact(note.body, pattern))
            result.texts_redacted += 1
        for upload in Upload.objects.filter(organization=org).only("id", "row_errors", "summary"):
            errors, summary = json.dumps(upload.row_errors), json.dumps(upload.summary)
            if pattern.search(errors) or pattern.search(summary):
                Upload.objects.filter(pk=upload.pk).update(
                    row_errors=json.loads(_redact(errors, pattern)), summary=json.loads(_redact(summary, pattern)))
                result.texts_redacted += 1

    for upload in Upload.objects.filter(organization=org, pk__in=upload_ids).exclude(file=""):
        upload.file.delete(save=False)
        Upload.objects.filter(pk=upload.pk).update(
            file="", summary={**upload.summary, "original_removed": "The original file was removed by an erasure request."})
        result.files_removed += 1
    # Raw webhook requests naming the address go the same way (issue 21: reached by erasure like files).
    result.files_removed += erase_payloads(org, address)
    for campaign_id in sorted(campaign_ids):
        if judge_campaign(campaign_id) is not None:
            result.campaigns_recomputed += 1
    audit.record(audit.Action.ERASURE, user=user, organization=org, summary="Erased one address",
                 fingerprint=audit.address_fingerprint(org, address), **asdict(result))
    return result

