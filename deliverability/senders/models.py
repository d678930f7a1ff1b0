"""An organisation's sending setup (domains, selectors, IPs, blocklist zones) and what the checks found.

`SenderCheck` keeps every run's result per subject (a domain or an IP); `SenderChange` records what
moved between two runs ("DMARC moved to p=reject", a problem that appeared or went away);
`ListingPeriod` is one stretch of time an IP or domain was on a blocklist.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from deliverability.accounts.models import Organization


class SenderProfile(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sender_profile")
    esps = models.JSONField(default=list, blank=True)  # ids of senders.esps.ESPS
    dnsbl_zones = models.JSONField(default=list, blank=True)  # empty: settings.SENDER_DNSBL_ZONES
    domain_blocklists = models.JSONField(default=list, blank=True)  # empty: settings.SENDER_DOMAIN_BLOCKLISTS
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"sender profile of {self.organization}"


class SendingDomain(models.Model):
    class Role(models.TextChoices):
        FROM = "from", _("From (header) domain")
        RETURN_PATH = "return_path", _("Return-Path (bounce) domain")
        BOTH = "both", _("From and Return-Path")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sending_domains")
    name = models.CharField(max_length=253)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.FROM)
    selectors = models.JSONField(default=list, blank=True)  # empty: the ESPs' suggested selectors
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="sending_domain_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_from(self) -> bool:
        return self.role in (self.Role.FROM, self.Role.BOTH)

    @property
    def is_return_path(self) -> bool:
        return self.role in (self.Role.RETURN_PATH, self.Role.BOTH)


class SendingIp(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sending_ips")
    address = models.GenericIPAddressField()
    dedicated = models.BooleanField(default=True, help_text=_("Dedicated to this client (not an ESP's shared pool)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        constraints = [models.UniqueConstraint(fields=["organization", "address"], name="sending_ip_unique")]

    def __str__(self) -> str:
        return self.address


class Subject(models.TextChoices):
    DOMAIN = "domain", _("domain")
    IP = "ip", _("IP")


class SenderCheck(models.Model):
    """One run's result for one domain or IP (checks.DomainReport / IpReport as JSON)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=6, choices=Subject.choices)
    subject = models.CharField(max_length=253)
    checked_at = models.DateTimeField()
    status = models.CharField(max_length=8)  # pass | warn | fail | unknown (the worst check)
    problems = models.JSONField(default=list)
    result = models.JSONField(default=dict)

    class Meta:
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["organization", "kind", "subject", "-checked_at"], name="sender_check_latest")]

    def __str__(self) -> str:
        return f"{self.subject} {self.checked_at:%Y-%m-%d}: {self.status}"


class SenderChange(models.Model):
    """Something that moved between two checks of one subject."""

    class Kind(models.TextChoices):
        PROBLEM_NEW = "problem_new", _("new problem")
        PROBLEM_GONE = "problem_gone", _("problem fixed")
        DMARC_POLICY = "dmarc_policy", _("DMARC policy changed")
        SPF_RECORD = "spf_record", _("SPF record changed")
        LISTED = "listed", _("listed on a blocklist")
        DELISTED = "delisted", _("removed from a blocklist")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    subject_kind = models.CharField(max_length=6, choices=Subject.choices)
    subject = models.CharField(max_length=253)
    occurred_at = models.DateTimeField()  # the check that saw it
    kind = models.CharField(max_length=14, choices=Kind.choices)
    code = models.CharField(max_length=40, blank=True)  # the problem code, or the zone
    before = models.CharField(max_length=500, blank=True)
    after = models.CharField(max_length=500, blank=True)
    detail = models.TextField(blank=True)  # the finding's evidence

    class Meta:
        ordering = ["-occurred_at", "subject"]
        indexes = [models.Index(fields=["organization", "-occurred_at"], name="sender_change_recent")]

    def __str__(self) -> str:
        return f"{self.subject}: {self.kind} {self.code}"


class ListingPeriod(models.Model):
    """From the first check that saw a listing to the first that did not (open while `ended_at` is null)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    subject_kind = models.CharField(max_length=6, choices=Subject.choices)
    subject = models.CharField(max_length=253)
    zone = models.CharField(max_length=253)
    code = models.CharField(max_length=40, blank=True)
    meaning = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.subject} on {self.zone}"
