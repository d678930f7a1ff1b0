"""Client explanation pages (glossary, per-vendor guidance to forward) and the agency's review
actions (campaign notes shown to the client, verdict overrides). Review actions are staff-only:
the agency answers for the verdicts, clients read them."""
from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext, gettext_lazy

from deliverability.accounts import audit
from deliverability.accounts.forms import EraseForm
from deliverability.accounts.models import Organization
from deliverability.accounts.tenancy import Access, get_for_org, login_view, org_view, staff_view
from deliverability.campaigns.models import Campaign, Recipient
from deliverability.verdicts import recovery, services, unsuppress
from deliverability.verdicts.erasure import erase_address
from deliverability.verdicts.explanations import (
    VENDOR_CATEGORY_EXPLANATIONS,
    VENDOR_CATEGORY_NAMES,
    VERDICT_EXPLANATIONS,
)
from deliverability.verdicts.explanations import glossary as glossary_in_language
from deliverability.verdicts.guidance import vendor_guidance
from deliverability.verdicts.models import VERDICT_CHOICES, CampaignDomainStat, CampaignNote, RecipientVerdict

_DOMAIN = re.compile(r"^[a-z0-9.-]{1,253}$")
_IPS = re.compile(r"^[0-9a-fA-F:./, ]{1,300}$")


# --- Client pages ---------------------------------------------------------------------------


@login_view
def glossary(request: HttpRequest) -> HttpResponse:
    return render(request, "verdicts/glossary.html", {
        "glossary": glossary_in_language(),  # terms and glosses in the reader's language, sorted there
        "verdicts": [(key, VERDICT_EXPLANATIONS[key]) for key, _ in VERDICT_CHOICES],
        "categories": [(VENDOR_CATEGORY_NAMES[key], texts) for key, texts in VENDOR_CATEGORY_EXPLANATIONS.items()],
    })


def _clean(value: str, pattern: re.Pattern) -> str:
    value = value.strip().lower()[:300]
    return value if pattern.match(value) else ""


@org_view(Access.VIEW)
def guidance(request: HttpRequest, vendor_id: str) -> HttpResponse:
    """A letter for the IT team of a company behind `vendor_id`'s filter, printable and forwardable.

    It names no other recipient or company: only the sender details the client types in."""
    found = vendor_guidance(vendor_id)
    met = found and (
        CampaignDomainStat.objects.filter(campaign__organization=request.org, vendor=found["vendor"].id).exists()
        or RecipientVerdict.objects.filter(organization=request.org, vendor=found["vendor"].id).exists())
    if not met:
        raise Http404("This organisation's mail never met this vendor")
    return render(request, "verdicts/guidance.html", {
        "org": request.org, **found,
        "sender_domain": _clean(request.GET.get("sender_domain", ""), _DOMAIN),
        "sender_ips": _clean(request.GET.get("sender_ips", ""), _IPS),
        "recipient_domain": _clean(request.GET.get("domain", ""), _DOMAIN),
    })


# --- Staff: campaign notes ------------------------------------------------------------------


class NoteForm(forms.ModelForm):
    class Meta:
        model = CampaignNote
        fields = ["body"]
        labels = {"body": "Note for the client"}
        widgets = {"body": forms.Textarea(attrs={"rows": 5, "maxlength": 5000})}


def _campaign(org_slug: str, campaign_id: int) -> tuple[Organization, Campaign]:
    org = get_object_or_404(Organization, slug=org_slug)
    return org, get_for_org(Campaign, org, pk=campaign_id)


@staff_view
def campaign_notes(request: HttpRequest, org_slug: str, campaign_id: int) -> HttpResponse:
    org, camp = _campaign(org_slug, campaign_id)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.save(commit=False)
        note.campaign, note.author = camp, request.user
        note.save()
        audit.record(audit.Action.NOTE, user=request.user, organization=org,
                     summary=f"Added a note to {camp.name}"[:300], campaign_id=camp.pk, note_id=note.pk)
        messages.success(request, gettext("Note added; the client sees it on the campaign page."))
        return redirect("campaign", org_slug=org.slug, campaign_id=camp.pk)
    return render(request, "verdicts/campaign_notes.html", {
        "org": org, "campaign": camp, "form": form, "notes": CampaignNote.objects.filter(campaign=camp),
    })


@staff_view
def campaign_note_delete(request: HttpRequest, org_slug: str, campaign_id: int, note_id: int) -> HttpResponse:
    org, camp = _campaign(org_slug, campaign_id)
    note = get_object_or_404(CampaignNote, campaign=camp, pk=note_id)
    if request.method == "POST":
        note.delete()
        audit.record(audit.Action.NOTE, user=request.user, organization=org,
                     summary=f"Deleted a note of {camp.name}"[:300], campaign_id=camp.pk, note_id=note_id)
        messages.success(request, gettext("Note deleted."))
        return redirect("campaign_notes", org_slug=org.slug, campaign_id=camp.pk)
    return render(request, "verdicts/campaign_note_delete.html", {"org": org, "campaign": camp, "note": note})


# --- Staff: verdict review / override --------------------------------------------------------


CONFIRM = "confirm"
CLEAR = "clear"


class OverrideForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"),
                                 choices=[(CONFIRM, gettext_lazy("Reviewed: the engine's verdict is right"))]
                                 + [(v, format_lazy(gettext_lazy("Override: {label}"), label=label))
                                    for v, label in VERDICT_CHOICES]
                                 + [(CLEAR, gettext_lazy("Remove the override (back to the engine's verdict)"))])
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           label=gettext_lazy("Note"), help_text=gettext_lazy("Why; shown to the client with the verdict."))


@staff_view
def verdict_review(request: HttpRequest, org_slug: str, campaign_id: int, recipient_id: int) -> HttpResponse:
    org, camp = _campaign(org_slug, campaign_id)
    recipient = get_for_org(Recipient, org, pk=recipient_id)
    row = RecipientVerdict.objects.filter(campaign=camp, recipient=recipient).first()
    if row is None:
        raise Http404("No verdict for this recipient in this campaign")
    form = OverrideForm(request.POST or None, initial={"note": row.override_note})
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        verdict = "" if decision == CLEAR else row.computed_verdict if decision == CONFIRM else decision
        before = row.verdict
        services.set_override(row, verdict, request.user, form.cleaned_data["note"] if verdict else "")
        # The audit names the verdict row and recipient id, never the address.
        audit.record(audit.Action.OVERRIDE, user=request.user, organization=org,
                     summary=f"Verdict {before} → {verdict or row.computed_verdict} in {camp.name}"[:300],
                     campaign_id=camp.pk, recipient_id=recipient.pk, decision=decision, before=before,
                     after=verdict or row.computed_verdict)
        messages.success(request, gettext("Verdict saved; the campaign's figures and lists are recomputed."))
        return redirect("campaign_recipient", org_slug=org.slug, campaign_id=camp.pk, recipient_id=recipient.pk)
    return render(request, "verdicts/verdict_review.html", {
        "org": org, "campaign": camp, "recipient": recipient, "verdict": row, "form": form,
    })


# --- Erasure (staff) -----------------------------------------------------------------------
# Here, not in accounts: erasure crosses every layer (events, verdicts, notes, stored files).


@staff_view
def erase(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = get_object_or_404(Organization, slug=org_slug)
    form = EraseForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = erase_address(org, form.cleaned_data["email"], request.user)
        form = EraseForm()  # never echo the erased address back
    return render(request, "accounts/erase.html", {"org": org, "form": form, "result": result})


# --- ESP un-suppression files (staff and managers) ------------------------------------------
# Managers, not viewers: unlike the plain recovery list (every member reads it), these files are
# instructions to change the client's ESP account (lift suppressions), an action like an upload;
# a viewer's role is read-only. Every download is audited with the ESP, the file and its count.

ESP_ACTIONS = {
    unsuppress.SENDGRID: gettext_lazy(
        "Removes the addresses from SendGrid's bounce list and block list: send each JSON file as the body of "
        "DELETE https://api.sendgrid.com/v3/suppression/bounces (or …/suppression/blocks; api.eu.sendgrid.com for "
        "EU regional subusers) with your API key, or remove the CSV's addresses on SendGrid's Suppressions pages. "
        "By default SendGrid does not suppress future messages to blocked addresses: removing them tidies the "
        "block list."),
    unsuppress.MAILGUN: gettext_lazy(
        "Deletes the addresses from the sending domain's bounce list, one DELETE /v3/<domain>/bounces/<address> "
        "call per address (the script); delivery resumes until an address bounces again. Mailgun's complaint and "
        "unsubscribe lists are never touched."),
    unsuppress.POSTMARK: gettext_lazy(
        "Reactivates the addresses Postmark deactivated, one PUT /bounces/<bounce id>/activate call per bounce "
        "(the script), with the server's API token."),
    unsuppress.SES: gettext_lazy(
        "Removes the addresses from your account-level suppression list in the Region the script runs in: one "
        "aws sesv2 delete-suppressed-destination call per address, or the CSV put in S3 for an import job with "
        "the DELETE action."),
    unsuppress.MAILCHIMP: gettext_lazy(
        "Re-subscribes the cleaned contacts: import the CSV into the audience as Subscribed, updating existing "
        "contacts. Mailchimp may refuse some: its help says cleaned contacts cannot be edited, and its API "
        "answers that a contact in \"a compliance state due to unsubscribe, bounce, or compliance review\" "
        "cannot be subscribed. Those must sign up again through a Mailchimp signup form; the import report "
        "names them."),
    unsuppress.HUBSPOT: gettext_lazy(
        "Lists the contacts to unbounce in HubSpot, one by one from each contact record: HubSpot has no bulk "
        "unbounce."),
}
LIST_NAMES = {
    "bounces": gettext_lazy("bounce list"), "blocks": gettext_lazy("block list"),
    "suppression_list": gettext_lazy("account-level suppression list"),
    "reactivate": gettext_lazy("deactivated by a bounce"), "cleaned": gettext_lazy("cleaned"),
    "bounced": gettext_lazy("bounced"),
}
MISSING_REASONS = {
    unsuppress.MISSING_BOUNCE_ID: gettext_lazy(
        "the stored Postmark event carries no bounce ID (a SubscriptionChange webhook, or an export without the "
        "bounce's ID): upload Postmark's bounces export (GET /bounces), which has it, or reactivate them on "
        "Postmark's activity page"),
    unsuppress.CANNOT_ACTIVATE: gettext_lazy("Postmark said CanActivate false: Postmark does not allow reactivating them"),
    unsuppress.HUBSPOT_GLOBAL: gettext_lazy(
        "HubSpot global bounce (the address hard-bounced in three or more HubSpot accounts): HubSpot does not let "
        "an account unbounce it"),
    unsuppress.SES_GLOBAL_LIST: gettext_lazy(
        "SES's global suppression list (bounce sub-type Suppressed): SES manages it, no account action removes an address"),
}
EXCLUDED_REASONS = {
    unsuppress.EXCLUDED_INVALID: gettext_lazy("the verdict is invalid recipient: they stay suppressed"),
    unsuppress.EXCLUDED_UNKNOWN: gettext_lazy("the verdict is unknown: review them before lifting anything"),
    unsuppress.EXCLUDED_COMPLAINT: gettext_lazy(
        "the recipient complained or unsubscribed, in this campaign or another: never lifted"),
}


def _recovery_page_context(summary: dict) -> dict:
    """The page's words around a stored summary (``unsuppress.summarise``)."""
    esps = []
    for esp in unsuppress.ESPS:
        entry = summary["esps"].get(esp)
        if entry is None:
            continue
        esps.append({
            "id": esp, "name": unsuppress.ESP_NAMES[esp], "action": ESP_ACTIONS[esp], "count": entry["count"],
            "lists": [(LIST_NAMES.get(name, name), n) for name, n in entry["lists"].items()],
            "files": [{"name": f.name, "count": entry["files"].get(f.name, 0)} for f in unsuppress.FILES[esp]],
            "missing": [(MISSING_REASONS[code], n) for code, n in entry["missing"].items()],
            "guarded": entry["guarded"],
            "bulk_limit": unsuppress.SES_BULK_DELETE_LIMIT
            if esp == unsuppress.SES and entry["count"] > unsuppress.SES_BULK_DELETE_LIMIT else None,
        })
    return {"esps": esps, "total": summary["total"], "without_esp": summary["without_esp"],
            "excluded": [(EXCLUDED_REASONS[code], n) for code, n in sorted(summary["excluded"].items())]}


@org_view(Access.MANAGE)
def recovery_exports(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The page before any download: per ESP, what its file will do and how many addresses (the plan the
    analysis stored; while it is being computed again, the page says so and shows no figure)."""
    camp = get_for_org(Campaign, request.org, pk=campaign_id)
    summary, _fresh = recovery.current_summary(camp)
    context = {"org": request.org, "campaign": camp, "computing": summary is None}
    if summary is not None:
        context |= _recovery_page_context(summary)
    return render(request, "verdicts/recovery_exports.html", context)


@org_view(Access.MANAGE)
def recovery_export_download(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """One ESP file (?esp=…&file=…), audit-logged, streamed from the stored plan; without them, the page that
    explains the files (also while the plan is being computed again)."""
    camp = get_for_org(Campaign, request.org, pk=campaign_id)
    esp, name = request.GET.get("esp", ""), request.GET.get("file", "")
    if not esp and not name:
        return redirect("recovery_exports", org_slug=request.org.slug, campaign_id=camp.pk)
    export = unsuppress.export_file(esp, name)
    if export is None:
        raise Http404("No such export file")
    summary, _fresh = recovery.current_summary(camp)
    if summary is None:
        messages.info(request, gettext("The un-suppression plan is being computed again after new data: "
                                       "download the file once this page shows its figures."))
        return redirect("recovery_exports", org_slug=request.org.slug, campaign_id=camp.pk)
    entry = summary["esps"].get(esp, {})
    count = entry.get("files", {}).get(export.name, 0)
    source = unsuppress.FileSource(
        entries=recovery.stored_entries(camp, esp, export.lists), missing=recovery.stored_missing(camp, esp),
        count=count, missing_count=sum(entry.get("missing", {}).values()))
    response = StreamingHttpResponse(export.stream(source), content_type=f"{export.content_type}; charset=utf-8")
    stem = slugify(camp.name)[:80] or f"campaign-{camp.pk}"
    response["Content-Disposition"] = f'attachment; filename="{stem}-{export.name}"'
    # The audit names the campaign, the ESP, the file and its count, never an address.
    audit.record(audit.Action.EXPORT, user=request.user, organization=request.org,
                 summary=f"Downloaded {export.name} ({count} addresses) of {camp.name}"[:300],
                 path=request.path[:300], campaign_id=camp.pk, esp=esp, file=export.name, addresses=count)
    response.audited = True  # ExportAuditMiddleware: this download is logged already
    return response
