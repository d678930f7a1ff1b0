"""The audit log: who did what, when, in which organisation.

Entries are written by the services that act (invitations, erasure, overrides, uploads), by the
`user_logged_in` signal, and by `ExportAuditMiddleware` for every CSV download, so a new export
on any page is logged without its view knowing. An entry never holds a recipient address: exports
record the path and the table, not the query string (a search for an address would otherwise
leave it here), and an erasure records a salted hash at most.
"""
from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from deliverability.accounts.models import AuditEvent, Organization

Action = AuditEvent.Action


def record(action: str, *, user=None, organization: Organization | None = None, summary: str = "",
           **detail) -> AuditEvent:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        action=action, user=user if authenticated else None,
        username=user.get_username()[:150] if authenticated else "", organization=organization,
        summary=summary[:300], detail=detail,
    )


def record_anonymous(action: str, *, username: str, summary: str = "", **detail) -> AuditEvent:
    """An entry for someone not signed in (a failed or locked sign-in): the name they typed."""
    return AuditEvent.objects.create(action=action, user=None, username=username[:150], summary=summary[:300],
                                     detail=detail)


def address_fingerprint(organization: Organization, email: str) -> str:
    """A keyed hash of an address, to answer "was this address erased?" without storing it.

    Keyed with SECRET_KEY and the organisation, so the hash cannot be looked up in a table of
    hashed addresses, nor matched across organisations."""
    key = f"{settings.SECRET_KEY}:erasure:{organization.pk}".encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


@receiver(user_logged_in, dispatch_uid="audit_login")
def _on_login(sender, request, user, **kwargs) -> None:
    record(Action.LOGIN, user=user, summary="Signed in")


def _is_csv_download(response: HttpResponse) -> bool:
    return (response.status_code == 200 and response.get("Content-Type", "").startswith("text/csv")
            and "attachment" in response.get("Content-Disposition", ""))


class ExportAuditMiddleware:
    """Record every CSV download (any page, any table) as an export."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that records its own, more precise entry marks the response `audited`.
        if _is_csv_download(response) and request.user.is_authenticated and not getattr(response, "audited", False):
            org = getattr(request, "org", None)
            table = request.GET.get("csv", "")[:40]
            record(Action.EXPORT, user=request.user, organization=org if isinstance(org, Organization) else None,
                   summary=f"Downloaded {request.path}" + (f" ({table})" if table else ""),
                   path=request.path[:300], table=table)
        return response
