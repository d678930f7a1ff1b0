"""Client explanation pages (glossary, per-vendor guidance to forward) and the agency's review
actions (campaign notes shown to the client, verdict overrides). Review actions are staff-only:
the agency answers for the verdicts, clients read them."""
from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from deliverability.accounts import audit
from deliverability.accounts.forms import EraseForm
from deliverability.accounts.models import Organization
from deliverability.accounts.tenancy import Access, get_for_org, login_view, org_view, staff_view
from deliverability.campaigns.models import Campaign, Recipient
from deliverability.verdicts import services
from deliverability.verdicts.erasure import erase_address
from deliverability.verdicts.explanations import GLOSSARY, VENDOR_CATEGORY_EXPLANATIONS, VERDICT_EXPLANATIONS
from deliverability.verdicts.guidance import vendor_guidance
from deliverability.verdicts.models import VERDICT_CHOICES, CampaignDomainStat, CampaignNote, RecipientVerdict

_DOMAIN = re.compile(r"^[a-z0-9.-]{1,253}$")
_IPS = re.compile(r"^[0-9a-fA-F:./, ]{1,300}$")


# --- Client pages ---------------------------------------------------------------------------


@login_view
def glossary(request: HttpRequest) -> HttpResponse:
    return render(request, "verdicts/glossary.html", {
        "glossary": sorted(GLOSSARY.items(), key=lambda item: item[0].lower()),
        "verdicts": [(key, VERDICT_EXPLANATIONS[key]) for key, _ in VERDICT_CHOICES],
        "categories": [(key.replace("_", " "), texts) for key, texts in VENDOR_CATEGORY_EXPLANATIONS.items()],
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
        messages.success(request, "Note added; the client sees it on the campaign page.")
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
        messages.success(request, "Note deleted.")
        return redirect("campaign_notes", org_slug=org.slug, campaign_id=camp.pk)
    return render(request, "verdicts/campaign_note_delete.html", {"org": org, "campaign": camp, "note": note})


# --- Staff: verdict review / override --------------------------------------------------------


CONFIRM = "confirm"
CLEAR = "clear"


class OverrideForm(forms.Form):
    decision = forms.ChoiceField(choices=[(CONFIRM, "Reviewed: the engine's verdict is right")]
                                 + [(v, f"Override: {label}") for v, label in VERDICT_CHOICES]
                                 + [(CLEAR, "Remove the override (back to the engine's verdict)")])
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Why; shown to the client with the verdict.")


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
        messages.success(request, "Verdict saved; the campaign's figures and lists are recomputed.")
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
