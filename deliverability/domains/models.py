"""Recipient domains with their enrichment: kind, MX answer, filter vendor, mailbox provider.

One row per domain (the address's own domain, punycode, lower case). The DNS answer is cached
with its TTL (`expires_at`); a DomainHistory row is written whenever the answer changes, so a
campaign can be judged with the MX it met. The pure logic lives in names/kinds/fingerprint/resolver.
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from deliverability import i18n

from . import resolver
from .kinds import DomainKind


class MxStatus(models.TextChoices):
    OK = resolver.OK, "MX ok"
    NULL_MX = resolver.NULL_MX, "Null MX: accepts no mail"
    IMPLICIT_MX = resolver.IMPLICIT_MX, "No MX, mail goes to its A/AAAA"
    NO_MAIL = resolver.NO_MAIL, "Neither MX nor address"
    MX_UNRESOLVABLE = resolver.MX_UNRESOLVABLE, "MX hosts do not resolve"
    NXDOMAIN = resolver.NXDOMAIN, "Domain does not exist"
    SERVFAIL = resolver.SERVFAIL, "DNS server failure"
    TIMEOUT = resolver.TIMEOUT, "DNS timeout"


class Domain(models.Model):
    name = models.CharField(max_length=253, unique=True)  # the address's own domain, punycode, lower case
    registrable_domain = models.CharField(max_length=253, blank=True, db_index=True)
    kind = models.CharField(max_length=12, choices=i18n.choices(DomainKind), blank=True, db_index=True)  # "" until enriched
    kind_source = models.CharField(max_length=20, blank=True)  # override | core | list_noise | …

    mx_status = models.CharField(max_length=16, choices=MxStatus.choices, blank=True, db_index=True)
    mx = models.JSONField(default=list, blank=True)  # [[preference, host], …] by preference
    dns_detail = models.JSONField(default=dict, blank=True)  # spf_includes, unresolvable/cname hosts, error
    vendor_id = models.CharField(max_length=40, blank=True, db_index=True)  # id in bounces/data/vendors.json
    vendor_category = models.CharField(max_length=20, blank=True)
    vendors = models.JSONField(default=list, blank=True)  # every vendor found, in MX preference order
    provider_id = models.CharField(max_length=40, blank=True)  # mailbox provider (behind the gateway)
    provider_source = models.CharField(max_length=4, blank=True)  # mx | spf

    checked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return self.name

    @property
    def mx_hosts(self) -> list[str]:
        return [host for _, host in self.mx]

    def is_fresh(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at > (now or timezone.now())

    @property
    def vendor_name(self) -> str | None:
        from deliverability.bounces.vendors import vendor_name

        return vendor_name(self.vendor_id)

    def answer_at(self, when: datetime) -> DomainHistory | None:
        """The DNS answer this domain gave at `when` (the latest change at or before it)."""
        return self.history.filter(observed_at__lte=when).order_by("-observed_at", "-id").first()


class DomainHistory(models.Model):
    """One row per distinct DNS answer, written when the answer first appears or changes."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="history")
    observed_at = models.DateTimeField(db_index=True)
    mx_status = models.CharField(max_length=16, choices=MxStatus.choices)
    mx = models.JSONField(default=list)
    vendor_id = models.CharField(max_length=40, blank=True)
    vendors = models.JSONField(default=list)
    provider_id = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["domain", "observed_at", "id"]
        verbose_name_plural = "domain history"

    def __str__(self) -> str:
        return f"{self.domain_id} {self.observed_at:%Y-%m-%d %H:%M} {self.mx_status} {self.vendor_id}"


class DomainKindOverride(models.Model):
    """Staff correction of a domain's kind; applies to the domain and all its subdomains."""

    name = models.CharField(max_length=253, unique=True, help_text="Domain or registrable domain, e.g. example.com")
    kind = models.CharField(max_length=12, choices=i18n.choices(DomainKind))
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} → {self.kind}"

    def save(self, *args, **kwargs) -> None:
        from .names import normalize_domain

        self.name = normalize_domain(self.name)
        super().save(*args, **kwargs)
