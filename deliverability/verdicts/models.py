"""Stored verdicts and the per-campaign rollups every page reads (no page scans the event table)."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from deliverability import i18n
from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Campaign, Recipient
from deliverability.verdicts.vocabulary import VerdictKind

VERDICT_CHOICES = i18n.choices(VerdictKind)  # labels translated where shown (issue 23)


class RecipientVerdict(models.Model):
    """The product's answer for one bounced (or otherwise not delivered) recipient in one campaign."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="verdicts")
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="verdicts")
    email = models.CharField(max_length=320)
    domain = models.CharField(max_length=253)
    outcome = models.CharField(max_length=12)  # the recipient's last send outcome in the campaign
    occurred_at = models.DateTimeField(null=True, blank=True)
    # What the engine read and weighed.
    category = models.CharField(max_length=24, blank=True)
    signature = models.CharField(max_length=40, blank=True)
    reply_code = models.SmallIntegerField(null=True, blank=True)
    enhanced_status = models.CharField(max_length=16, blank=True)
    diagnostic = models.TextField(blank=True)  # untrusted: escape everywhere
    vendor = models.CharField(max_length=40, blank=True)  # the answering vendor id
    domain_kind = models.CharField(max_length=12, blank=True)
    esp_hard = models.BooleanField(null=True)
    # The verdict: `verdict` is what every figure and export uses (an override wins over the engine).
    computed_verdict = models.CharField(max_length=20, choices=VERDICT_CHOICES)
    confidence = models.FloatField()
    evidence = models.JSONField(default=list)  # [{"code", "text"}]
    verdict = models.CharField(max_length=20, choices=VERDICT_CHOICES)
    override_verdict = models.CharField(max_length=20, choices=VERDICT_CHOICES, blank=True)
    override_note = models.TextField(blank=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    overridden_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "recipient"], name="one_verdict_per_recipient")]
        indexes = [
            # The campaign page's bounced-recipients table, newest first, all or one verdict (keyset pages: no
            # sort of a 1M-recipient campaign's 100k verdicts per page); the recovery and suppress lists by address.
            models.Index(fields=["campaign", "-id"], name="verdict_campaign_newest"),
            models.Index(fields=["campaign", "verdict", "-id"], name="verdict_campaign_kind_newest"),
            models.Index(fields=["campaign", "email"], name="verdict_campaign_email"),
            models.Index(fields=["campaign", "domain"], name="verdict_campaign_domain"),
            models.Index(fields=["organization", "email"], name="verdict_org_email"),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.verdict}"


class CampaignDiagnosis(models.Model):
    """The campaign's headline figures, recomputed after every import, enrichment or override."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="diagnosis")
    recipients = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    reported_hard_bounce_rate = models.FloatField(default=0)
    estimated_invalid_rate = models.FloatField(default=0)
    b2b_recipients = models.PositiveIntegerField(default=0)
    b2b_bounced = models.PositiveIntegerField(default=0)
    b2c_recipients = models.PositiveIntegerField(default=0)
    b2c_bounced = models.PositiveIntegerField(default=0)
    by_verdict = models.JSONField(default=dict)
    by_vendor = models.JSONField(default=dict)
    headline = models.TextField(blank=True)
    data = models.JSONField(default=dict)  # the full diagnosis (actions, top domains, notes)
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Diagnosis of campaign {self.campaign_id}"


class CampaignDomainStat(models.Model):
    """One row per (campaign, recipient domain): the domain table and vendor charts read these."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="domain_stats")
    domain = models.CharField(max_length=253)
    kind = models.CharField(max_length=12, blank=True)
    vendor = models.CharField(max_length=40, blank=True)  # MX vendor id of the preferred MX
    recipients = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    # …and one counter per verdict, named after it (added below the class from VerdictKind).

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "domain"], name="one_stat_per_campaign_domain")]
        indexes = [
            models.Index(fields=["campaign", "-bounced", "domain"], name="domainstat_campaign_bounced"),
            models.Index(fields=["domain"], name="domainstat_domain"),  # one domain across campaigns and clients
        ]

    def __str__(self) -> str:
        return f"{self.domain} in campaign {self.campaign_id}"


for _verdict in VerdictKind:
    CampaignDomainStat.add_to_class(_verdict.value, models.PositiveIntegerField(default=0))


class CampaignTimeline(models.Model):
    """Deliveries and bounces per minute of a campaign: gateway bursts show up here."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="timeline")
    minute = models.DateTimeField()
    delivered = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    deferred = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "minute"], name="one_bucket_per_minute")]

    def __str__(self) -> str:
        return f"Campaign {self.campaign_id} at {self.minute:%Y-%m-%d %H:%M}"


class CampaignNote(models.Model):
    """An agency note on a campaign, shown to the client on the campaign page."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(max_length=5000)  # untrusted text: escaped on every page
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note on campaign {self.campaign_id}"


class CampaignVendorStat(models.Model):
    """One row per (campaign, answering vendor, recipient domain): the vendor page's chart, domains table and
    campaigns table all sum these rows, so they agree. Recipients are counted under the vendor that answered
    for them (``RecipientFacts.answering_vendor``: the bounce text or remote MTA when it names one, else the
    domain's MX); ``bounced`` and the verdict counters are over bounced recipients only (the verdict columns
    add up to ``bounced``). Rebuilt with the campaign's verdicts (``services.store_vendor_rollups``)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="vendor_stats")
    vendor = models.CharField(max_length=40)
    domain = models.CharField(max_length=253)
    recipients = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    # …and one counter per verdict, named after it (added below the class from VerdictKind).

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "vendor", "domain"], name="one_vendor_stat")]
        indexes = [models.Index(fields=["vendor", "campaign"], name="vendorstat_vendor_campaign")]

    def __str__(self) -> str:
        return f"{self.vendor} / {self.domain} in campaign {self.campaign_id}"


for _verdict in VerdictKind:
    CampaignVendorStat.add_to_class(_verdict.value, models.PositiveIntegerField(default=0))


class CampaignSignatureStat(models.Model):
    """Bounces per (campaign, answering vendor, category, signature), with the example text the vendor page
    shows (the greatest diagnostic, as ``Max`` picks it): the page sums a few rows per campaign instead of
    aggregating every verdict. Rebuilt with the campaign's verdicts (``services.store_vendor_rollups``)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="signature_stats")
    vendor = models.CharField(max_length=40)
    category = models.CharField(max_length=24, blank=True)
    signature = models.CharField(max_length=40, blank=True)
    bounced = models.PositiveIntegerField(default=0)
    example = models.TextField(blank=True)  # untrusted: escape everywhere

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "vendor", "category", "signature"],
                                               name="one_signature_stat")]
        indexes = [models.Index(fields=["vendor", "campaign"], name="signaturestat_vendor_campaign")]

    def __str__(self) -> str:
        return f"{self.vendor} {self.signature} in campaign {self.campaign_id}"


class CampaignRecovery(models.Model):
    """The ESP un-suppression plan of a campaign as its page shows it (``summary``: counts per ESP, list,
    file, missing and excluded reason), stored by the analysis with one ``RecoveryEntry`` per address and
    list (the files stream from those).

    ``inputs`` is the organisation's uploads as they were when the plan was computed
    (``recovery.inputs_stamp``): the plan reads the campaign's events and verdicts and the complaint /
    unsubscribe history of its addresses in every other campaign, which another upload can change. A plan
    whose ``inputs`` differ from the uploads now is stale: the page says so instead of showing it."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="recovery")
    summary = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Recovery plan of campaign {self.campaign_id}"


class RecoveryEntry(models.Model):
    """One line of a campaign's un-suppression plan: an address on one ESP list (``list``, with the ESP's id
    for it), or an address that cannot go in the ESP's file (``list`` empty, ``missing`` the reason code), or
    an address rule 2 left out (``esp`` empty, ``missing`` complaint_or_unsubscribe; no file reads it: it lets
    ``recovery.update_plan`` read back what the plan decided for an address).
    ``position`` is the plan's order (list, address, id; then the missing lines), so a file streams in the
    order the pure builders use, whatever the database's collation. Only the order counts: an update that
    takes an address's lines out leaves gaps."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    esp = models.CharField(max_length=12)
    position = models.PositiveIntegerField()
    list = models.CharField(max_length=20, blank=True)
    email = models.CharField(max_length=320)
    esp_id = models.CharField(max_length=40, blank=True)
    detail = models.TextField(blank=True)  # what the ESP said: untrusted text
    missing = models.CharField(max_length=30, blank=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "esp", "position"], name="recovery_entry_order"),
                   # update_plan reads and deletes a few addresses' lines of a 200,000-line plan
                   models.Index(fields=["campaign", "email"], name="recovery_entry_email")]

    def __str__(self) -> str:
        return f"{self.esp} {self.list or self.missing} in campaign {self.campaign_id}"
