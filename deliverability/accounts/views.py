"""Client accounts: invitations, the staff page of an organisation's members, the audit log, erasure.

Every view carries its access (staff_view, or declare(PUBLIC) for the invitation link).
"""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from deliverability.accounts import audit, invitations, throttle
from deliverability.accounts.forms import (
    AcceptInvitationForm,
    AuditFilterForm,
    InviteForm,
    OrganizationForm,
    QueuedPasswordResetForm,
    RetentionForm,
    RoleForm,
)
from deliverability.accounts.language import apply_organization
from deliverability.accounts.models import AuditEvent, Invitation, Membership, Organization
from deliverability.accounts.tenancy import Access, declare, staff_view

AUDIT_PAGE = 100
INVITE_URL_KEY = "invite_url"  # the link of the invitation just sent, shown once on the members page it redirects to


def _posted_id(request: HttpRequest, name: str) -> int:
    """A row id from the form; anything but a plain number (or one past any id) names no row (0)."""
    value = request.POST.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else 0


def _org(slug: str) -> Organization:
    return get_object_or_404(Organization, slug=slug)


# --- Members (staff) -----------------------------------------------------------------------


def _invitation_sent(request: HttpRequest, org: Organization, issued: invitations.Issued) -> HttpResponse:
    """After an invitation's POST: the members page by a redirect (a refresh does not invite again), which shows the
    link once (for the case where email is not delivered: the console backend locally)."""
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": issued.invitation.email})
    request.session[INVITE_URL_KEY] = {"org": org.slug, "url": issued.url}
    return redirect("members", org_slug=org.slug)


def _members_page(request: HttpRequest, org: Organization, **forms) -> HttpResponse:
    apply_organization(request, org)  # its time zone for the invitations' times, like its other pages
    sent = request.session.get(INVITE_URL_KEY)
    if request.method == "GET" and sent and sent.get("org") == org.slug:
        forms["invite_url"] = request.session.pop(INVITE_URL_KEY)["url"]
    context = {
        "org": org,
        "memberships": Membership.objects.filter(organization=org).select_related("user").order_by("user__username"),
        "invitations": Invitation.objects.filter(organization=org, accepted_at__isnull=True)[:50],
        "roles": Membership.Role.choices,
        "invite_form": forms.get("invite_form") or InviteForm(),
        "retention_form": forms.get("retention_form") or RetentionForm(instance=org),
        "invite_url": forms.get("invite_url"),
        # The demo's default: mail is printed in the server's terminal, not sent (README, "Emails in the demo").
        "email_printed": settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend",
        "error": forms.get("error"),
    }
    return render(request, "accounts/members.html", context)


@staff_view
def members(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Members and roles of one organisation, pending invitations, the retention period.

    One page, several small forms; each POST names its `action`. Invalid input re-renders the page."""
    org = _org(org_slug)
    if request.method != "POST":
        return _members_page(request, org)
    action = request.POST.get("action")
    if action == "invite":
        form = InviteForm(request.POST)
        if not form.is_valid():
            return _members_page(request, org, invite_form=form)
        if throttle.invitation_limited(request):
            return throttle.too_many(request, _("You have sent %(rate)s invitations already; wait before sending more.")
                                     % {"rate": settings.INVITATION_RATE})
        issued = invitations.invite(org, form.cleaned_data["email"], form.cleaned_data["role"], request.user,
                                    request=request)
        return _invitation_sent(request, org, issued)
    if action == "role":
        form = RoleForm(request.POST)
        if not form.is_valid():
            return _members_page(request, org, error="Choose a role.")
        membership = get_object_or_404(Membership, organization=org, pk=form.cleaned_data["membership"])
        membership.role = form.cleaned_data["role"]
        membership.save(update_fields=["role"])
        audit.record(audit.Action.MEMBER, user=request.user, organization=org,
                     summary=f"{membership.user.get_username()} is now {membership.role}", membership_id=membership.pk)
        messages.success(request, _("%(name)s is now %(role)s.") % {"name": membership.user.get_username(),
                                                                    "role": membership.get_role_display()})
        return redirect("members", org_slug=org.slug)
    if action == "remove":
        membership = Membership.objects.filter(organization=org, pk=_posted_id(request, "membership")).first()
        if membership is None:
            return _members_page(request, org, error="No such member.")
        if request.POST.get("confirmed") != "yes":
            return _removal_confirmation(request, org, membership)
        name = membership.user.get_username()
        membership.delete()
        audit.record(audit.Action.MEMBER, user=request.user, organization=org, summary=f"Removed {name}")
        messages.success(request, _("%(name)s no longer has access to %(org)s.") % {"name": name, "org": org.name})
        return redirect("members", org_slug=org.slug)
    if action == "revoke":
        invitation = Invitation.objects.filter(organization=org, pk=_posted_id(request, "invitation")).first()
        if invitation is None:
            return _members_page(request, org, error="No such invitation.")
        invitations.revoke(invitation, request.user)
        messages.success(request, _("Invitation of %(email)s withdrawn.") % {"email": invitation.email})
        return redirect("members", org_slug=org.slug)
    if action == "retention":
        form = RetentionForm(request.POST, instance=org)
        if not form.is_valid():
            return _members_page(request, org, retention_form=form)
        form.save()
        audit.record(audit.Action.RETENTION_SET, user=request.user, organization=org,
                     summary=f"Retention period set to {org.retention_days or 'unlimited'} days",
                     retention_days=org.retention_days)
        messages.success(request, _("Retention period saved."))
        return redirect("members", org_slug=org.slug)
    return _members_page(request, org)


def _removal_confirmation(request: HttpRequest, org: Organization, membership: Membership) -> HttpResponse:
    """What removing a member takes away, counted, before anything is removed."""
    user = membership.user
    return render(request, "accounts/member_remove.html", {
        "org": org, "membership": membership, "member": user,
        "campaigns": org.campaigns.count(),  # reverse relations: accounts imports no app above it
        "digest": user.digest_subscriptions.filter(organization=org).exists(),
        "other_orgs": list(Organization.objects.filter(memberships__user=user).exclude(pk=org.pk)
                           .order_by("name").values_list("name", flat=True)),
        "invitations": Invitation.objects.filter(organization=org, email__iexact=user.email, accepted_at__isnull=True,
                                                 revoked_at__isnull=True).count() if user.email else 0,
    })


# --- New client organisation (staff) -------------------------------------------------------


@staff_view
def organization_new(request: HttpRequest) -> HttpResponse:
    """Create a client organisation: name, short name, time zone, and optionally its first invitation; then its
    members page, by a redirect (POST/redirect/GET: a refresh creates nothing twice)."""
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = form.save()
        audit.record(audit.Action.ORG_CREATE, user=request.user, organization=org,
                     summary=f"Created organisation {org.name} ({org.slug}, {org.timezone})")
        messages.success(request, _("%(name)s is created.") % {"name": org.name})
        email = form.cleaned_data.get("invite_email")
        if not email:
            return redirect("members", org_slug=org.slug)
        issued = invitations.invite(org, email, form.cleaned_data["invite_role"], request.user, request=request)
        return _invitation_sent(request, org, issued)
    return render(request, "accounts/organization_new.html", {"form": form})


# --- 403 ----------------------------------------------------------------------------------------


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler403: the site's layout, the reason the server knows (tenancy: "Your role in this
    organisation is read-only."), in the reader's language, and the way back; the status stays 403."""
    reason = str(exception) if exception is not None and str(exception) else ""
    return render(request, "403.html", {"org": getattr(request, "org", None), "reason": reason}, status=403)


# --- Password reset (public) -------------------------------------------------------------


class ThrottledPasswordResetView(PasswordResetView):
    """Django's reset page, rate-limited per address asked for and per client, mail sent after the answer."""

    form_class = QueuedPasswordResetForm

    def post(self, request, *args, **kwargs):
        if throttle.password_reset_limited(request):
            return throttle.too_many(request, throttle.reset_limit_message())
        return super().post(request, *args, **kwargs)


# --- Invitation link (public) --------------------------------------------------------------


@declare(Access.PUBLIC)
def invitation_accept(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    if throttle.invitation_link_limited(request):
        return throttle.too_many(request, _("Too many invitation links tried from your address; wait an hour."))
    try:
        invitation = invitations.find_usable(org_slug, token)
    except invitations.InvitationError as error:
        return render(request, "accounts/invitation_invalid.html", {"message": str(error)}, status=error.status)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.accept(org_slug, token, username=form.cleaned_data["username"],
                                      password=form.cleaned_data["password1"])
        except invitations.InvitationError as error:
            return render(request, "accounts/invitation_invalid.html", {"message": str(error)}, status=error.status)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(org)s.") % {"org": invitation.organization.name})
        return redirect("organization", org_slug=invitation.organization.slug)
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form})


# --- Audit log (staff) ---------------------------------------------------------------------


@staff_view
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("organization")
    if form.is_valid():
        events = form.apply(events)
    before = request.GET.get("before", "")
    if before.isdigit():
        events = events.filter(pk__lt=int(before))
    rows = list(events.order_by("-id")[:AUDIT_PAGE + 1])
    more = len(rows) > AUDIT_PAGE
    rows = rows[:AUDIT_PAGE]
    next_query = None
    if more:
        params = request.GET.copy()
        params["before"] = str(rows[-1].pk)
        next_query = params.urlencode()
    return render(request, "accounts/audit_log.html", {"form": form, "events": rows, "next_query": next_query})
