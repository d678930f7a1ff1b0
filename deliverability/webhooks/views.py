"""The ESP-facing hook (/hooks/<esp>/<token>/) and the integration page where staff and managers manage endpoints."""
from __future__ import annotations

import secrets
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from deliverability.accounts.tenancy import Access, declare, get_for_org, org_view
from deliverability.webhooks import services, tasks, verify
from deliverability.webhooks.models import (
    BASIC_AUTH_ONLY,
    Esp,
    WebhookAudit,
    WebhookDailyCount,
    WebhookEndpoint,
    WebhookPayload,
    new_token,
)

_PLAIN = "text/plain; charset=utf-8"


@csrf_exempt  # ESPs post without a session; each request proves itself by its token and signature
@declare(Access.PUBLIC)
def hook(request: HttpRequest, esp: str, token: str) -> HttpResponse:
    endpoint = WebhookEndpoint.objects.filter(token=token, esp=esp).select_related("organization").first()
    if endpoint is None:
        return HttpResponse(_("No such webhook endpoint."), status=404, content_type=_PLAIN)
    if request.method == "HEAD":
        return HttpResponse(status=200)  # some ESPs check the URL answers before saving it
    if request.method != "POST":
        return HttpResponse(_("Send events with POST."), status=405, content_type=_PLAIN, headers={"Allow": "POST"})
    limit = settings.WEBHOOK_MAX_BYTES
    too_big = HttpResponse(_("The request body is larger than %(limit)s bytes.") % {"limit": limit}, status=413,
                           content_type=_PLAIN)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return too_big
    body = request.read(limit + 1)  # the stream itself: request.body would apply the form-size limit
    if len(body) > limit:
        return too_big
    if endpoint.basic_auth_required and not request.headers.get("Authorization"):
        # Amazon SNS (and some clients) send credentials only after a 401 challenge (as django-anymail's
        # SES view answers). Not audited: it is the normal first step of such a client, not a refusal.
        return HttpResponse(_("Credentials required."), status=401, content_type=_PLAIN,
                            headers={"WWW-Authenticate": 'Basic realm="webhook"'})
    answer = services.receive(endpoint, body, request.headers, request.META.get("REMOTE_ADDR", ""))
    if answer.status == 200 and answer.payload_id and tasks.import_may_be_needed(endpoint):
        tasks.schedule_import(endpoint.pk)
    return HttpResponse(answer.message, status=answer.status, content_type=_PLAIN)


# --- the integration page ------------------------------------------------------------------------
class EndpointForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        # Not the trusted SNS certificate: SNS signatures are checked against the certificate SNS names (fetched
        # from its hosts only); a trusted one is set by the tests, the demo and replay_webhook, never by a user.
        fields = ["esp", "name", "signing_key", "basic_user", "topic_arns", "campaign_label", "default_campaign"]
        labels = {
            "esp": gettext_lazy("ESP"),
            "signing_key": gettext_lazy("Signing key (Mailgun) or verification key (SendGrid, signed webhook on)"),
            "basic_user": gettext_lazy("Basic auth user name (a password is generated)"),
            "topic_arns": gettext_lazy("Amazon SNS TopicArns allowed, one per line"),
            "campaign_label": gettext_lazy("Campaign from this ESP field (category, tag, campaign…)"),
            "default_campaign": gettext_lazy("Campaign for events naming none (blank: one per ESP and day)"),
        }
        widgets = {"signing_key": forms.Textarea(attrs={"rows": 2}), "topic_arns": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        data = super().clean()
        esp, key = data.get("esp"), (data.get("signing_key") or "").strip()
        if esp == Esp.MAILGUN and not key:
            self.add_error("signing_key", _("Mailgun endpoints need the webhook signing key."))
        if esp == Esp.SENDGRID and key:
            try:
                verify.load_public_key(key)
            except verify.Refused:
                self.add_error("signing_key", _("This is not SendGrid's verification key (an ECDSA public key)."))
        if esp == Esp.SES and not (data.get("topic_arns") or "").strip():
            self.add_error("topic_arns", _("Name the SNS topic(s) allowed to post here."))
        return data


MASK = "••••••••"
REVEAL_KEY = "webhook_reveal"  # the session's one endpoint whose password the next page view shows


def endpoint_url(request: HttpRequest, endpoint: WebhookEndpoint, *, reveal: bool = True) -> str:
    """The URL to paste into the ESP, with the basic-auth credentials in it when the endpoint uses them;
    the password masked unless `reveal` (once, right after the endpoint is created or rotated)."""
    url = request.build_absolute_uri(reverse("webhook", args=[endpoint.esp, endpoint.token]))
    if endpoint.basic_auth_required and endpoint.basic_user:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://{endpoint.basic_user}:{endpoint.basic_password if reveal else MASK}@{rest}"
    return url


def _audit(request, endpoint: WebhookEndpoint, kind: str, reason: str = "") -> None:
    WebhookAudit.objects.create(organization=request.org, endpoint=endpoint if kind != WebhookAudit.Kind.DELETED else None,
                                endpoint_name=str(endpoint)[:120], kind=kind, reason=reason[:300],
                                username=request.user.get_username()[:150])


def _new_secrets(endpoint: WebhookEndpoint) -> None:
    endpoint.token = new_token()
    if endpoint.esp in BASIC_AUTH_ONLY or (endpoint.esp == Esp.SENDGRID and not endpoint.signing_key.strip()) \
            or endpoint.basic_user:
        endpoint.basic_user = endpoint.basic_user or f"{endpoint.esp}-{secrets.token_hex(3)}"
        endpoint.basic_password = secrets.token_urlsafe(18)


@org_view(Access.MANAGE)
def integrations(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        endpoint.organization = request.org
        _new_secrets(endpoint)
        endpoint.save()
        _audit(request, endpoint, WebhookAudit.Kind.CREATED)
        request.session[REVEAL_KEY] = endpoint.pk
        messages.success(request, _("Endpoint created: paste its URL into %(esp)s.") % {"esp": endpoint.get_esp_display()})
        return redirect("integrations", org_slug=request.org.slug)
    since = timezone.localdate() - timedelta(days=13)
    # The requests waiting for import counted in the same query as the endpoints (not one query each).
    endpoints = list(WebhookEndpoint.objects.filter(organization=request.org).annotate(
        pending=Count("payloads", filter=Q(payloads__status=WebhookPayload.Status.PENDING))))
    counts: dict[int, list] = {e.pk: [] for e in endpoints}
    for row in WebhookDailyCount.objects.filter(endpoint__organization=request.org, day__gte=since).order_by("-day"):
        counts[row.endpoint_id].append(row)
    # A password is shown in full once, on the page right after its endpoint was created or rotated (then
    # masked: a secret is never rendered back later, as with the signing keys, never rendered at all).
    reveal = request.session.pop(REVEAL_KEY, None) if request.method == "GET" else None
    rows = [{"endpoint": e, "url": endpoint_url(request, e, reveal=e.pk == reveal), "counts": counts[e.pk],
             "masked": e.basic_auth_required and bool(e.basic_user) and e.pk != reveal,
             "pending": e.pending} for e in endpoints]
    failures = WebhookAudit.objects.filter(organization=request.org, kind=WebhookAudit.Kind.SIGNATURE)[:20]
    changes = WebhookAudit.objects.filter(organization=request.org).exclude(kind=WebhookAudit.Kind.SIGNATURE)[:20]
    return render(request, "webhooks/integrations.html", {
        "org": request.org, "form": form, "rows": rows, "failures": failures, "changes": changes,
        "max_bytes": settings.WEBHOOK_MAX_BYTES, "payload_days": settings.WEBHOOK_PAYLOAD_DAYS,
    }, status=400 if request.method == "POST" else 200)


@require_POST
@org_view(Access.MANAGE)
def rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_org(WebhookEndpoint, request.org, pk=endpoint_id)
    new_key = (request.POST.get("signing_key") or "").strip()
    if new_key:
        if endpoint.esp == Esp.SENDGRID:
            try:
                verify.load_public_key(new_key)
            except verify.Refused:
                messages.error(request, _("This is not SendGrid's verification key (an ECDSA public key)."))
                return redirect("integrations", org_slug=request.org.slug)
        endpoint.signing_key = new_key[:5000]
    _new_secrets(endpoint)
    endpoint.rotated_at = timezone.now()
    endpoint.save()
    _audit(request, endpoint, WebhookAudit.Kind.ROTATED, "new signing key" if new_key else "")
    request.session[REVEAL_KEY] = endpoint.pk
    messages.success(request, _("New URL and credentials for %(name)s: paste them into the ESP; the old URL "
                                "no longer works.") % {"name": endpoint.name})
    return redirect("integrations", org_slug=request.org.slug)


@require_POST
@org_view(Access.MANAGE)
def delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_org(WebhookEndpoint, request.org, pk=endpoint_id)
    _audit(request, endpoint, WebhookAudit.Kind.DELETED)
    endpoint.delete()  # its stored payloads go with it; the events imported from them stay
    messages.success(request, _("Endpoint deleted: the ESP's next requests to it are refused (404)."))
    return redirect("integrations", org_slug=request.org.slug)
