"""ESP webhook endpoints, the raw payloads they received, and what the integration page shows.

A payload is stored before it is answered (the request only validates and stores), then imported in
micro-batches by a task through the same import pipeline as uploaded files (services.import_pending).
"""
from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Upload


class Esp(models.TextChoices):
    SENDGRID = "sendgrid", "SendGrid"
    MAILGUN = "mailgun", "Mailgun"
    POSTMARK = "postmark", "Postmark"
    SES = "ses", "Amazon SES (SNS)"
    SPARKPOST = "sparkpost", "SparkPost"
    MAILJET = "mailjet", "Mailjet"
    BREVO = "brevo", "Brevo"


# ESPs whose webhooks prove themselves by HTTP basic auth only (in the URL pasted into the ESP).
BASIC_AUTH_ONLY = (Esp.POSTMARK, Esp.SPARKPOST, Esp.MAILJET, Esp.BREVO)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class WebhookEndpoint(models.Model):
    """One endpoint per (organisation, ESP account): /hooks/<esp>/<token>/ with its own secrets."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    esp = models.CharField(max_length=12, choices=Esp.choices)
    name = models.CharField(_("name"), max_length=100, help_text=_("The ESP account this endpoint receives from"))
    token = models.CharField(max_length=64, unique=True, default=new_token)
    # Mailgun: the HTTP webhook signing key. SendGrid: the verification key SendGrid shows when signing is
    # on (base64 DER or PEM public key); blank means the user left signing off (basic auth is then required).
    signing_key = models.TextField(blank=True)
    # HTTP basic auth (Postmark always; SendGrid without signing; optional for the others).
    basic_user = models.CharField(max_length=100, blank=True)
    basic_password = models.CharField(max_length=100, blank=True)
    # Amazon SNS: the TopicArns allowed (one per line) and, for tests and the demo, the one signing
    # certificate trusted (PEM). Without it the certificate is fetched from SigningCertURL and cached.
    topic_arns = models.TextField(blank=True)
    sns_certificate = models.TextField(blank=True)
    # Where an event's campaign comes from: an ESP label (category, tag, campaign…) or, blank, the reader's own
    # field; events naming none go to `default_campaign`, or, blank, to one campaign per ESP and send day.
    campaign_label = models.CharField(max_length=60, blank=True)
    default_campaign = models.CharField(max_length=300, blank=True)
    # Only for endpoints made by `replay_webhook`: the private keys that sign replayed requests (PEM).
    replay_keys = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # The micro-batch schedule: the next import is due at `import_due_at` (null: none queued), no sooner
    # than a minute after `last_import_at`, so a touched campaign is judged again at most once a minute.
    import_due_at = models.DateTimeField(null=True, blank=True)
    last_import_at = models.DateTimeField(null=True, blank=True)
    # An SNS subscription waiting to be confirmed by hand (the automatic confirmation failed).
    pending_subscribe_url = models.URLField(max_length=1000, blank=True)

    class Meta:
        ordering = ["esp", "name", "id"]

    def __str__(self) -> str:
        return f"{self.get_esp_display()} · {self.name}"

    @property
    def allowed_topics(self) -> set[str]:
        return {line.strip() for line in self.topic_arns.splitlines() if line.strip()}

    @property
    def signature_required(self) -> bool:
        return self.esp in (Esp.MAILGUN, Esp.SES) or (self.esp == Esp.SENDGRID and bool(self.signing_key.strip()))

    @property
    def basic_auth_required(self) -> bool:
        """Postmark, SparkPost, Mailjet and Brevo have nothing else (SparkPost's other choice, OAuth 2, needs a
        token server); a SendGrid endpoint without signing is protected by it too."""
        return bool(self.basic_user) or self.esp in BASIC_AUTH_ONLY or (
            self.esp == Esp.SENDGRID and not self.signing_key.strip())


class WebhookPayload(models.Model):
    """One request body as received, kept for WEBHOOK_PAYLOAD_DAYS (and never past the organisation's
    retention), reached by erasure like uploaded files."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Nothing to import")  # an SNS subscription confirmation

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="payloads")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
    body = models.TextField()
    body_sha256 = models.CharField(max_length=64)
    # A Mailgun signature token: a token seen once is never accepted again with another body.
    replay_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claim = models.CharField(max_length=32, blank=True)
    upload = models.ForeignKey(Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["endpoint", "status"], name="webhook_payload_pending"),
                   models.Index(fields=["organization", "received_at"], name="webhook_payload_org_time")]
        constraints = [
            # An ESP retrying a request it got no answer to sends the same body: stored once.
            models.UniqueConstraint(fields=["endpoint", "body_sha256"], name="webhook_payload_once"),
            models.UniqueConstraint(fields=["endpoint", "replay_key"], condition=~models.Q(replay_key=""),
                                    name="webhook_token_once"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.received_at:%Y-%m-%d %H:%M:%S}"


class WebhookDailyCount(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="daily_counts")
    day = models.DateField()
    requests = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)  # requests whose body was stored already
    events = models.PositiveIntegerField(default=0)  # events imported (new ones)
    duplicates = models.PositiveIntegerField(default=0)  # events already stored (an export, a retry)
    signature_failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "day"], name="webhook_count_per_day")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.day}"


class WebhookAudit(models.Model):
    """Refused requests (wrong or missing signature, replays, topics not allowed) and endpoint changes."""

    class Kind(models.TextChoices):
        SIGNATURE = "signature", _("Signature refused")
        CREATED = "created", _("Endpoint created")
        ROTATED = "rotated", _("Secrets rotated")
        DELETED = "deleted", _("Endpoint deleted")
        SUBSCRIPTION = "subscription", _("SNS subscription")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit")
    endpoint_name = models.CharField(max_length=120, blank=True)  # kept once the endpoint is deleted
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.CharField(max_length=300, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "-at"], name="webhook_audit_org_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
