"""Invitations: staff invite a client user by email to one organisation with a role.

The link carries a random token; only its SHA-256 is stored. A link works once, until it
expires (INVITATION_DAYS), and only under the organisation it was issued for.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from deliverability.accounts import audit
from deliverability.accounts.language import recipient_language
from deliverability.accounts.models import Invitation, Membership, Organization

INVITATION_DAYS = 7


class InvitationError(Exception):
    """An invitation link that cannot be used; the message is shown to the visitor.

    `status`: 404 for a link that does not exist (or belongs to another organisation), 410 for
    one that existed but is spent, withdrawn or expired."""

    def __init__(self, message: str, status: int = 410):
        super().__init__(message)
        self.status = status


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Issued:
    invitation: Invitation
    url: str  # absolute when a request was given


def invite(org: Organization, email: str, role: str, invited_by, *, request=None) -> Issued:
    """Create an invitation and email its link."""
    if role not in Membership.Role.values:
        raise ValueError(f"unknown role {role!r}")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=org, email=email.strip().lower(), role=role, token_hash=_hash(token), invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    path = reverse("invitation_accept", kwargs={"org_slug": org.slug, "token": token})
    url = request.build_absolute_uri(path) if request is not None else path
    # In the invitee's language: theirs when the address is already a user's, else the organisation's, else English.
    invitee = get_user_model().objects.filter(email__iexact=invitation.email, is_active=True).first()
    with translation.override(recipient_language(invitee, org)):
        body = render_to_string("accounts/invitation_email.txt", {
            "org": org, "url": url, "role": invitation.get_role_display(), "days": INVITATION_DAYS,
            "inviter": invited_by.get_full_name() or invited_by.get_username() if invited_by else "",
        })
        subject = _("Your access to %(org)s on Deliverability Review") % {"org": org.name}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    # The invitee's address is a user's, not a campaign recipient's: it may be logged.
    audit.record(audit.Action.INVITE, user=invited_by, organization=org,
                 summary=f"Invited {invitation.email} as {role}", invitation_id=invitation.pk, role=role)
    return Issued(invitation, url)


def find_usable(org_slug: str, token: str) -> Invitation:
    """The pending invitation for this token under this organisation, or InvitationError."""
    invitation = Invitation.objects.select_related("organization").filter(token_hash=_hash(token)).first()
    # Another organisation's token reads exactly like an unknown one: nothing is disclosed.
    if invitation is None or invitation.organization.slug != org_slug:
        raise InvitationError(_("This invitation link is not valid."), status=404)
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation link was already used. Sign in, or ask for a new invitation."))
    if invitation.revoked_at is not None:
        raise InvitationError(_("This invitation was withdrawn. Ask your account manager for a new one."))
    if invitation.expires_at <= timezone.now():
        raise InvitationError(_("This invitation link has expired. Ask your account manager for a new one."))
    return invitation


def accept(org_slug: str, token: str, *, username: str, password: str):
    """Create the user and the membership; the link is spent in the same transaction."""
    User = get_user_model()
    with transaction.atomic():
        invitation = find_usable(org_slug, token)
        # Claim the invitation first: two simultaneous submissions cannot both succeed.
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now())
        if not claimed:
            raise InvitationError(_("This invitation link was already used. Sign in, or ask for a new invitation."))
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, email=invitation.email, password=password)
        except IntegrityError:
            raise InvitationError(_("That username is taken; choose another."), status=409) from None
        Membership.objects.create(user=user, organization=invitation.organization, role=invitation.role)
        Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    audit.record(audit.Action.INVITE_ACCEPT, user=user, organization=invitation.organization,
                 summary=f"Accepted the invitation as {invitation.role}", invitation_id=invitation.pk)
    return user


def revoke(invitation: Invitation, user) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(audit.Action.INVITE, user=user, organization=invitation.organization,
                 summary=f"Withdrew the invitation of {invitation.email}", invitation_id=invitation.pk)
