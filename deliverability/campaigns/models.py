"""Campaigns, uploads and the event store.

Events are the bulk of the data: they are written by COPY (PostgreSQL) or executemany
(SQLite), never one ORM object at a time, and carry their recipient's domain and week as
indexed columns because deriving them at query time costs 1.5–3× and defeats the indexes.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_lazy

from deliverability import i18n
from deliverability.accounts.models import Organization
from deliverability.campaigns.formats import format_label
from deliverability.ingest.records import EventType


class BrinOnPostgres(models.Index):
    """A BRIN index on PostgreSQL (with autosummarize, so a fresh upload's block ranges are summarised as
    they fill), a plain B-tree on other databases; the migration state says so on every database."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            statement = super().create_sql(model, schema_editor, using=" USING brin", **kwargs)
            statement.parts["extra"] = f" WITH (autosummarize = on){statement.parts['extra']}"
            return statement
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class Campaign(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=300)
    esp = models.CharField(max_length=40, blank=True, help_text="The sending platform, e.g. SendGrid")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_count = models.PositiveIntegerField(null=True, blank=True, help_text="Total sends, when the file only holds bounces")
    created_at = models.DateTimeField(auto_now_add=True)
    # Made by an import that has not finished: pages and searches leave it out until an upload that names
    # it is done (campaigns.services.run_import clears it), so a running or lost import shows nothing.
    awaiting_import = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="campaign_name_per_org")]

    def __str__(self) -> str:
        return self.name


def upload_path(instance: Upload, filename: str) -> str:
    return f"uploads/{instance.organization_id}/{instance.sha256[:2]}/{instance.sha256}"


class Upload(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting")
        RUNNING = "running", gettext_lazy("Importing")
        DONE = "done", gettext_lazy("Imported")
        FAILED = "failed", gettext_lazy("Failed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="uploads")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads",
        help_text="Default campaign for rows that name none",
    )
    file = models.FileField(upload_to=upload_path, max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    requested_format = models.CharField(max_length=20, default="auto")
    detected_format = models.CharField(max_length=20, blank=True)
    column_mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.BigIntegerField(null=True, blank=True)  # estimated from bytes until the end
    rows_done = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)  # one user-meaningful sentence when the file failed
    row_errors = models.JSONField(default=list, blank=True)  # first 100 [row, message]
    rows_skipped = models.BigIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    # A failed upload, or one that imported nothing, is the agency's working copy: the client's list of
    # recent uploads leaves it out unless staff share it (issue 19 item 9).
    shared_with_client = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written by the running import at each committed batch: an import whose heartbeat is older than
    # IMPORT_LOST_AFTER_SECONDS (and whose lock is free) lost its worker and is queued again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the import task was handed to the broker; None while it never was (the queue was down).
    queued_at = models.DateTimeField(null=True, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)  # domains enriched, verdicts and rollups done
    # The analysis that took this upload (its task id); a redelivered task with the same claim may retake it.
    analysis_claim = models.CharField(max_length=64, blank=True)
    analysis_runs = models.PositiveIntegerField(default=0)  # analyses started: one per import, exactly
    # What the analysis found missing: {"domains": n, "unresolved": k, "resolver_unreachable": bool}, or
    # {"skipped": reason} for an upload imported without analysis.
    analysis = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["organization", "sha256"], name="one_upload_per_file")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def format_label(self) -> str:
        """The format it was read as, in words ("" before it is known)."""
        name = self.detected_format or self.requested_format
        return format_label(name) if name and name != "auto" else ""

    @property
    def analysis_skipped(self) -> bool:
        return bool((self.analysis or {}).get("skipped"))

    @property
    def finished(self) -> bool:
        return self.status == self.Status.FAILED or (
            self.status == self.Status.DONE and (self.analyzed_at is not None or self.analysis_skipped))

    @property
    def queue_unavailable(self) -> bool:
        """Waiting because the task queue could not be reached when it came (see tasks.recover_uploads)."""
        return self.status == self.Status.PENDING and bool((self.summary or {}).get("queue_unavailable"))

    @property
    def status_label(self) -> str:
        """The status in a list of uploads, in the words of the upload's own page: an upload whose file was read but
        not one row could be used says so, not "Failed"."""
        if self.status == self.Status.FAILED and (self.summary or {}).get("nothing_imported"):
            return gettext("Nothing imported")
        return self.get_status_display()

    @property
    def stage_label(self) -> str:
        """The status on the upload's own page (and its progress poll): the list's word, or where the work is."""
        if self.queue_unavailable:
            return gettext("Waiting: the task queue is unavailable. The file is stored, and its import will "
                           "start by itself when the queue is back.")
        if self.status == self.Status.FAILED:
            return self.status_label
        if self.status == self.Status.DONE and self.analysis_skipped:
            return gettext("Imported, not analysed")
        if self.status == self.Status.DONE and self.analyzed_at is None:
            return gettext("Analysing: resolving domains and judging bounces")
        return self.get_status_display()

    @property
    def unresolved_domains(self) -> int:
        """Domains whose DNS could not be checked by the analysis (their verdicts say so)."""
        return int((self.analysis or {}).get("unresolved") or 0)

    @property
    def enrichment_note(self) -> str:
        """One sentence when the analysis could not check some domains' DNS, else ""."""
        if not self.unresolved_domains:
            return ""
        from django.utils.formats import number_format
        from django.utils.translation import ngettext

        total = self.analysis.get("domains", 0)
        text = ngettext("DNS enrichment missing for %(missing)s of %(total)s domain (no answer in time): their "
                        "verdicts say so and rest on the bounce text alone.",
                        "DNS enrichment missing for %(missing)s of %(total)s domains (no answer in time): their "
                        "verdicts say so and rest on the bounce text alone.", total) % {
            "missing": number_format(self.unresolved_domains, force_grouping=True),
            "total": number_format(total, force_grouping=True)}
        if self.analysis.get("resolver_unreachable"):
            text += " " + gettext("The DNS resolver answered nothing; check DNS_NAMESERVERS.")
        return text

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_done / self.rows_total))


class SavedColumnMapping(models.Model):
    """A column mapping a user gave for a CSV layout, reused for the organisation's next file of that layout."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="column_mappings")
    headers_key = models.CharField(max_length=40)  # SHA-1 of the header row
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "headers_key"], name="one_mapping_per_layout")]

    def __str__(self) -> str:
        return f"mapping for {len(self.headers)} columns"

    @staticmethod
    def key_for(headers: list[str]) -> str:
        import hashlib

        return hashlib.sha1("\x1f".join(h.strip().lower() for h in headers).encode()).hexdigest()


class Recipient(models.Model):
    # The unique (organization, email) index serves look-ups by organisation. No other index: each costs
    # every import (see RecipientSearch for domains and parts of addresses).
    # No database constraint, as for events: PostgreSQL checked the deferred constraint row by row at
    # commit, 6 µs per new address (a third of an import of a million new addresses). The importer
    # writes the organisation's own id; deletions cascade through the ORM.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="recipients",
                                     db_index=False, db_constraint=False)
    email = models.CharField(max_length=320)
    domain = models.CharField(max_length=253)

    class Meta:
        # The only index besides the key. Finding an organisation's addresses by domain is the search
        # table's job: an (organisation, domain) index here cost 8 s of every million new addresses
        # (random inserts into long posting lists), more than the unique index itself.
        constraints = [models.UniqueConstraint(fields=["organization", "email"], name="recipient_per_org")]

    def __str__(self) -> str:
        return self.email


class RecipientSearch(models.Model):
    """An organisation's addresses, for finding part of one ("perez", "acme.co") or a domain's, without a scan.

    Kept apart from Recipient because its indexes cost more per new address than the rest of an import
    of a million new addresses (trigram GIN 7–18 µs, the domain B-tree 8 µs, measured here): it is filled
    after the import, by the upload's analysis (campaigns.services.index_for_search), never on the
    import's critical path. Exact addresses are found in Recipient from the moment the import is done.
    """

    # Filled a million rows at a time by INSERT … SELECT: no deferred constraint checks (see Recipient).
    recipient = models.OneToOneField(Recipient, primary_key=True, on_delete=models.CASCADE, related_name="+",
                                     db_constraint=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False,
                                     db_constraint=False)
    email = models.CharField(max_length=320)
    domain = models.CharField(max_length=253)

    class Meta:
        # Plus, on PostgreSQL, a trigram GIN index on email (migration 0009: raw SQL, SQLite has none).
        indexes = [models.Index(fields=["organization", "email"], name="recipient_search_org_email"),
                   models.Index(fields=["organization", "domain"], name="recipient_search_org_domain")]

    def __str__(self) -> str:
        return self.email


class Diagnostic(models.Model):
    """One row per distinct diagnostic text: bounce texts repeat massively."""

    # A unique constraint, not `unique=True`: the latter adds a second (LIKE) index nobody queries.
    sha1 = models.CharField(max_length=40)
    text = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sha1"], name="diagnostic_sha1")]

    def __str__(self) -> str:
        return self.text[:80]


class Event(models.Model):
    # The event table is written by COPY, a million rows at a time. Its foreign keys have no
    # single-column index (each leads one of the composite indexes below) and no database
    # constraint: PostgreSQL checks deferred constraints row by row at commit, which cost more than
    # the COPY itself. The importer resolves every id in the same transaction, and deletions
    # cascade through the ORM, so the references stay whole.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False,
                                     db_constraint=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events", db_index=False,
                                 db_constraint=False)
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="events", db_index=False,
                                  db_constraint=False)
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="events", db_index=False,
                               db_constraint=False)
    # NULL, not "": the unique (organisation, ESP event id) constraint applies only where an id exists.
    esp_event_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    type = models.CharField(max_length=12, choices=i18n.choices(EventType))
    occurred_at = models.DateTimeField(null=True, blank=True)
    week = models.DateField(null=True, blank=True)  # Monday of occurred_at in the organisation's time zone
    domain = models.CharField(max_length=253)
    reply_code = models.SmallIntegerField(null=True, blank=True)
    enhanced_status = models.CharField(max_length=16, blank=True)
    # Diagnostics are never deleted, so the PROTECT check needs no index.
    diagnostic = models.ForeignKey(Diagnostic, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   db_index=False, db_constraint=False)
    remote_mta = models.CharField(max_length=255, blank=True)
    esp_labels = models.JSONField(default=dict, blank=True)
    # The bounce engine's reading of the diagnostic, filled at import time (cached per distinct text).
    category = models.CharField(max_length=24, blank=True)
    signature = models.CharField(max_length=40, blank=True)
    bounce_vendor = models.CharField(max_length=40, blank=True)
    hard = models.BooleanField(null=True)

    class Meta:
        indexes = [
            # Campaign scans (verdicts, rollups). On the campaign alone: an import appends to the campaign's
            # posting list, where (campaign, domain) inserted at random among a campaign's domains and cost
            # a third of the event table's index upkeep (measured: 2-3 s per million events). Nothing
            # reads events by domain: domain pages read the rollups and RecipientSearch.
            models.Index(fields=["campaign"], name="event_campaign"),
            models.Index(fields=["organization", "week"], name="event_org_week"),
            models.Index(fields=["recipient", "occurred_at"], name="event_recipient_time"),
            # A BRIN index on PostgreSQL: an upload's events are appended together, so block ranges
            # find them at almost no cost per inserted row (a B-tree elsewhere).
            BrinOnPostgres(fields=["upload"], name="event_upload"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "esp_event_id"],
                condition=models.Q(esp_event_id__isnull=False),
                name="esp_event_id_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.occurred_at or ''}".strip()
