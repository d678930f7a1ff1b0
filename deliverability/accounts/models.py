"""Organisations (the agency's clients), memberships and roles."""
from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(value)r is not a known time zone (e.g. Europe/Madrid)"), params={"value": value}) from None


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    retention_days = models.PositiveIntegerField(
        null=True, blank=True,
        help_text=_("Delete campaign events (and per-recipient verdicts) this many days after the campaign; "
                    "the campaign figures stay. Empty: keep everything."),
    )
    # The organisation's language (issue 23), set by staff: the pages of its users who chose none, its
    # weekly PDF. Blank (the default): each user's browser decides, the PDF is in English.
    language = models.CharField(_("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES,
                                help_text=_("Blank: each user's browser decides; the weekly PDF is in English."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Profile(models.Model):
    """A user's own settings: the language they chose with the switcher (blank: not chosen).

    Only an explicit choice is stored (accounts.language.set_language); a language read from the
    browser never is."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(_("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES)

    def __str__(self) -> str:
        return f"{self.user} ({self.language or '-'})"


class Membership(models.Model):
    class Role(models.TextChoices):
        # Managers upload and delete result files; notes and verdict reviews are the agency's (staff).
        MANAGER = "manager", _("Manager (uploads result files)")
        VIEWER = "viewer", _("Viewer (reads only)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")]

    def __str__(self) -> str:
        return f"{self.user} → {self.organization} ({self.role})"


class Invitation(models.Model):
    """A single-use, expiring invitation to join an organisation with a role.

    Only a SHA-256 of the token is stored: the link in the email is the one copy of the secret,
    so a database leak gives no usable links.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=320)
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization} ({self.role})"

    STATUS_LABELS = {"accepted": _("Accepted"), "revoked": _("Withdrawn"), "expired": _("Expired"),
                     "pending": _("Pending")}

    @property
    def status_label(self) -> str:
        return str(self.STATUS_LABELS[self.status])

    @property
    def status(self) -> str:
        from django.utils import timezone

        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AuditEvent(models.Model):
    """Who did what, when, in which organisation. Never holds a recipient address (see erasure)."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGIN_LOCKED = "login_locked", _("Sign-in locked")
        UPLOAD = "upload", _("Upload")
        UPLOAD_DELETE = "upload_delete", _("Upload deleted")
        EXPORT = "export", _("Export (CSV download)")
        OVERRIDE = "override", _("Verdict override")
        NOTE = "note", _("Campaign note")
        INVITE = "invite", _("Invitation")
        INVITE_ACCEPT = "invite_accept", _("Invitation accepted")
        MEMBER = "member", _("Membership change")
        ERASURE = "erasure", _("Address erased")
        RETENTION = "retention", _("Retention purge")
        RETENTION_SET = "retention_set", _("Retention period changed")
        ORG_CREATE = "org_create", _("Organisation created")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True)  # kept when the user is deleted
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    summary = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-at"], name="audit_org_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action}"
