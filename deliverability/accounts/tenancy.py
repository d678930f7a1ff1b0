"""One way to reach an organisation's data.

Every organisation page goes through `org_view`: it resolves the `org_slug` in the URL,
answers 404 when the user may not see that organisation (never 403: another tenant's
existence is not disclosed), and 403 when the user sees it but their role lacks the action.
Objects inside the organisation are then fetched with `get_for_org`, which 404s on any
object of another organisation.
"""
from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy

from deliverability.accounts.models import Membership, Organization


class Access(StrEnum):
    """What a view needs. The permission-matrix test reads it from every view."""

    PUBLIC = "public"  # anyone (login page)
    LOGIN = "login"  # any signed-in user (home)
    VIEW = "view"  # staff, or any member of the organisation
    MANAGE = "manage"  # staff, or a manager of the organisation
    STAFF = "staff"  # agency staff only (cross-client pages)


def visible_organizations(user) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    if user.is_staff:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


def role_in(user, org: Organization) -> str | None:
    """'staff', 'manager', 'viewer' or None."""
    if not user.is_authenticated:
        return None
    if user.is_staff:
        return "staff"
    membership = Membership.objects.filter(user=user, organization=org).only("role").first()
    return membership.role if membership else None


def can_manage(user, org: Organization) -> bool:
    return role_in(user, org) in ("staff", Membership.Role.MANAGER)


def get_for_org(model_or_qs: type[Model] | QuerySet, org: Organization, **lookup) -> Model:
    """Fetch an object of `org`, 404 for anything else (including other tenants' objects)."""
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs.objects.all()
    return get_object_or_404(qs.filter(organization=org), **lookup)


def declare(access: Access) -> Callable:
    """Mark a view with the access it needs, for views that do their own checks."""

    def decorator(view):
        view.access = access
        return view

    return decorator


def org_view(access: Access = Access.VIEW) -> Callable:
    """Decorate a view taking `org_slug`: sets request.org and request.role, or 404/403."""
    assert access in (Access.VIEW, Access.MANAGE)

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            org = Organization.objects.filter(slug=org_slug).first()
            role = role_in(request.user, org) if org else None
            if role is None:
                raise Http404("No such organisation")
            request.org = org
            request.role = role
            from deliverability.accounts.language import apply_organization

            apply_organization(request, org)  # its language and time zone (issue 23), for the 403 page too
            if access is Access.MANAGE and role not in ("staff", Membership.Role.MANAGER):
                # The reason reaches the reader on the 403 page (accounts.views.permission_denied).
                raise PermissionDenied(gettext_lazy("Your role in this organisation is read-only."))
            return view(request, *args, **kwargs)

        wrapper.access = access
        return wrapper

    return decorator


def staff_view(view):
    """Agency-staff pages (cross-client). Others get 404: these pages do not exist for them."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    wrapper.access = Access.STAFF
    return wrapper


def login_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.access = Access.LOGIN
    return wrapper
