"""Upload pages. Single-purpose views; tenancy through accounts.tenancy. (The dashboard owns home,
organisation and campaign pages.)"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from deliverability import ingest
from deliverability.accounts import audit
from deliverability.accounts.tenancy import Access, can_manage, get_for_org, org_view
from deliverability.campaigns import limits, services, tasks
from deliverability.campaigns.models import Campaign, Upload

FORMAT_CHOICES = [("auto", "Detect automatically")] + [(name, name) for name in ingest.FORMATS]


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV, ESP export (JSON/CSV), bounce emails (.eml, mbox) or a zip of them")
    campaign = forms.CharField(
        max_length=300, required=False,
        help_text="Campaign name for rows that do not name one (a file may hold several campaigns)",
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial="auto")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text += " " + _("(up to %(limit)s)") % {"limit": filesizeformat(limits.upload_limit())}


@csrf_exempt  # checked by csrf_protect below, once the size limit is in place (reading the token reads the body)
@org_view(Access.MANAGE)
def upload_new(request: HttpRequest) -> HttpResponse:
    size_limit = limits.SizeLimitUploadHandler(request)
    request.upload_handlers.insert(0, size_limit)
    return _upload_form(request, size_limit)


@csrf_protect
def _upload_form(request: HttpRequest, size_limit: limits.SizeLimitUploadHandler) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if size_limit.refused is not None:
        # The body went past UPLOAD_MAX_BYTES: refuse before anything is stored (the part held in a
        # temporary file is dropped).
        for uploaded in request.FILES.values():
            uploaded.close()
        form = UploadForm(request.POST)
        form.add_error("file", str(size_limit.refused))
        return render(request, "campaigns/upload_new.html", {"org": request.org, "form": form}, status=413)
    if request.method == "POST" and form.is_valid():
        refused = limits.zip_problem(form.cleaned_data["file"], form.cleaned_data["file"].name)
        if refused:
            form.add_error("file", refused)
            return render(request, "campaigns/upload_new.html", {"org": request.org, "form": form}, status=413)
        received = services.receive_upload(
            request.org, form.cleaned_data["file"], original_name=form.cleaned_data["file"].name,
            user=request.user, campaign_name=form.cleaned_data["campaign"],
            requested_format=form.cleaned_data["format"],
        )
        if received.created:
            tasks.start_import(received.upload)
            audit.record(audit.Action.UPLOAD, user=request.user, organization=request.org,
                         summary=f"Uploaded {received.upload.original_name}", upload_id=received.upload.pk)
        else:
            messages.info(request, "This exact file was uploaded before; showing that import instead of counting it twice.")
        return redirect("upload_detail", org_slug=request.org.slug, upload_id=received.upload.pk)
    return render(request, "campaigns/upload_new.html", {"org": request.org, "form": form})


@org_view(Access.VIEW)
def upload_detail(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = get_for_org(Upload, request.org, pk=upload_id)
    manage = can_manage(request.user, request.org)
    needs_mapping = upload.status == Upload.Status.FAILED and upload.summary.get("needs_mapping")
    if request.method == "POST":
        if not manage or not needs_mapping:
            return HttpResponse(status=403)
        mapping = {
            header: request.POST.get(f"map_{i}", "")
            for i, header in enumerate(upload.summary.get("headers", []))
            if request.POST.get(f"map_{i}") in ingest.MAPPABLE_FIELDS
        }
        services.retry_with_mapping(upload, mapping)
        tasks.start_import(upload)
        return redirect("upload_detail", org_slug=request.org.slug, upload_id=upload.pk)
    campaigns = Campaign.objects.filter(organization=request.org, events__upload=upload).distinct()
    return render(request, "campaigns/upload_detail.html", {
        "org": request.org, "upload": upload, "can_manage": manage, "campaigns": campaigns,
        "needs_mapping": needs_mapping, "mappable_fields": ingest.MAPPABLE_FIELDS,
    })


@org_view(Access.VIEW)
def upload_status(request: HttpRequest, upload_id: int) -> JsonResponse:
    upload = get_for_org(Upload, request.org, pk=upload_id)
    return JsonResponse({
        "status": upload.status, "status_label": upload.stage_label,
        "rows_done": upload.rows_done, "rows_total": upload.rows_total, "percent": upload.progress_percent,
        "finished": upload.finished,
    })


@require_POST
@org_view(Access.MANAGE)
def upload_delete(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = get_for_org(Upload, request.org, pk=upload_id)
    name = upload.original_name
    upload_pk = upload.pk
    services.delete_upload(upload)
    audit.record(audit.Action.UPLOAD_DELETE, user=request.user, organization=request.org,
                 summary=f"Deleted upload {name} and its events", upload_id=upload_pk)
    messages.success(request, f"Deleted {name} and every event it brought.")
    return redirect("organization", org_slug=request.org.slug)


upload_delete.access = Access.MANAGE
