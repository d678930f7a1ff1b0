"""Weekly review state: the published snapshot of each organisation's week, and digest subscriptions."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from deliverability.accounts.models import Organization


class WeeklySnapshot(models.Model):
    """The figures of one organisation's week (Monday–Sunday in its time zone) as published.

    One row per (organisation, week), enforced by the database: the beat claims a week by
    inserting this row, so a doubled or restarted beat cannot build or mail a week twice.
    `payload` is what `dashboard.weekly.week_payload` returned (the page, CSV and digest read it).
    """

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        READY = "ready", "Published"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="weekly_snapshots")
    week = models.DateField(help_text="Monday of the week, in the organisation's time zone")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    payload = models.JSONField(default=dict, blank=True)
    claimed_at = models.DateTimeField(help_text="When the current build started (a stuck build is reclaimed)")
    computed_at = models.DateTimeField(null=True, blank=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    # Late data: an import or deletion touched this week after it was built. The next refresh
    # recomputes; if the figures changed, revised_at is set and the page says so.
    stale = models.BooleanField(default=False)
    stale_since = models.DateTimeField(null=True, blank=True)
    revised_at = models.DateTimeField(null=True, blank=True)
    revisions = models.PositiveIntegerField(default=0)
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    digest_recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-week"]
        constraints = [models.UniqueConstraint(fields=["organization", "week"], name="one_snapshot_per_org_week")]
        indexes = [models.Index(fields=["stale", "status"], name="snapshot_stale")]

    def __str__(self) -> str:
        return f"{self.organization} · week of {self.week}"

    @property
    def published(self) -> bool:
        return self.status == self.Status.READY


class DigestSubscription(models.Model):
    """A user who wants the weekly digest of an organisation (members for their own, staff for any).

    Whether the user may still see the organisation is checked when the digest is sent, so a
    removed membership stops the mail without touching this row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscriptions")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="digest_subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="one_digest_subscription")]

    def __str__(self) -> str:
        return f"Digest of organisation {self.organization_id} for user {self.user_id}"
