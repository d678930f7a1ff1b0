"""Which uploads the organisation page lists for whom (issue 19 item 9).

A failed upload, or one that imported no event, is the agency's working copy: a viewer of the
organisation (the client reading the results) does not see it among the recent uploads unless
someone who manages the organisation shares it. Staff and managers see every upload, with the
switch to share or stop sharing it.
"""
from __future__ import annotations

from django.contrib import messages
from django.db.models import BigIntegerField, Count, Max, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliverability.accounts.models import Membership
from deliverability.accounts.tenancy import Access, get_for_org, org_view
from deliverability.campaigns.models import Upload
from deliverability.webhooks.models import Esp, WebhookEndpoint

RECENT_UPLOADS = 10


def imported_something() -> Q:
    """A finished upload that imported at least one event (its summary counts them)."""
    return Q(status=Upload.Status.DONE, summary__events__gt=0)


def webhook_batch() -> Q:
    """An upload made by a webhook import (a micro-batch a minute): no file, and not a file upload whose
    original an erasure removed."""
    return Q(file="") & ~Q(summary__has_key="original_removed")


def recent_uploads(org, role: str | None) -> QuerySet[Upload]:
    """The files people uploaded; the webhook batches are summarised per endpoint (webhook_endpoints)."""
    uploads = Upload.objects.filter(organization=org).exclude(webhook_batch()).order_by("-created_at", "-id")
    if role not in ("staff", Membership.Role.MANAGER):
        uploads = uploads.filter(imported_something() | Q(shared_with_client=True))
    return uploads.only("id", "original_name", "status", "rows_done", "created_at", "detected_format",
                        "shared_with_client", "summary")[:RECENT_UPLOADS]


def endpoint_batches(org, endpoint_id: int) -> QuerySet[Upload]:
    """One webhook endpoint's imported batches (each has events: a batch that brought none is not kept)."""
    return Upload.objects.filter(organization=org, status=Upload.Status.DONE,
                                 summary__webhook_endpoint=endpoint_id).only(
        "id", "original_name", "status", "rows_done", "created_at", "summary")


def webhook_endpoints(org) -> list[dict]:
    """One line per webhook endpoint that brought events: its batches, their events, the latest batch. Two
    queries whatever the number of batches or endpoints."""
    rows = list(Upload.objects.filter(organization=org, status=Upload.Status.DONE, summary__has_key="webhook_endpoint")
                .annotate(endpoint=KT("summary__webhook_endpoint")).values("endpoint")
                .annotate(batches=Count("id"), latest=Max("id"), last_at=Max("created_at"),
                          events=Sum(Cast(KT("summary__events"), BigIntegerField())))
                .order_by("-last_at"))
    ids = [int(r["endpoint"]) for r in rows if str(r["endpoint"]).isdigit()]
    names = {pk: (name, esp) for pk, name, esp in
             WebhookEndpoint.objects.filter(organization=org, pk__in=ids).values_list("pk", "name", "esp")}
    lines = []
    for row in rows:
        pk = int(row["endpoint"]) if str(row["endpoint"]).isdigit() else None
        name, esp = names.get(pk, ("", ""))
        lines.append({**row, "endpoint": pk, "name": name, "esp": Esp(esp).label if esp else ""})
    return lines


@org_view(Access.MANAGE)
@require_POST
def upload_share(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Share a failed or empty upload with the organisation's viewers, or stop sharing it."""
    upload = get_for_org(Upload, request.org, pk=upload_id)
    upload.shared_with_client = request.POST.get("share") == "1"
    upload.save(update_fields=["shared_with_client"])
    if upload.shared_with_client:
        messages.success(request, _("“%(name)s” is now listed for everyone in %(org)s.")
                         % {"name": upload.original_name, "org": request.org.name})
    else:
        messages.success(request, _("“%(name)s” is listed for staff and managers only.")
                         % {"name": upload.original_name})
    return redirect("organization", org_slug=request.org.slug)
