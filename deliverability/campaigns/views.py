"""Upload pages. Single-purpose views; tenancy through accounts.tenancy. (The dashboard owns home,
organisation and campaign pages.)"""
from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from deliverability.accounts import audit
from deliverability.accounts.tenancy import Access, can_manage, get_for_org, org_view
from deliverability.campaigns import limits, retry_form, services, tasks
from deliverability.campaigns.formats import format_choices, format_label
from deliverability.campaigns.models import Campaign, Upload
from deliverability.ingest.values import DAY_FIRST_SLASH, MONTH_FIRST_SLASH

FORMAT_CHOICES = format_choices()  # in words: "Amazon SES notifications (JSON)", not "ses"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV, ESP export (JSON/CSV), bounce emails (.eml, mbox) or a zip of them"),
    )
    campaign = forms.CharField(
        max_length=300, required=False, label=gettext_lazy("Campaign"),
        help_text=gettext_lazy("Campaign name for rows that do not name one (a file may hold several campaigns)"),
    )
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES, initial="auto")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (f"{self.fields['file'].help_text} "
                                         + _("(up to %(limit)s)") % {"limit": filesizeformat(limits.upload_limit())})


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
        if received.created or received.upload.status == Upload.Status.PENDING:
            # New, or stored before and still waiting (the queue was down, or lost the task): queue it now.
            # A second task for the same upload finds it claimed and does nothing.
            tasks.start_import(received.upload)
            received.upload.refresh_from_db(fields=["summary"])
            if received.upload.queue_unavailable:
                messages.warning(request, received.upload.stage_label)
        if received.created or received.replaced:
            audit.record(audit.Action.UPLOAD, user=request.user, organization=request.org,
                         summary=f"Uploaded {received.upload.original_name}"
                                 + (" again, replacing its failed import" if received.replaced else ""),
                         upload_id=received.upload.pk)
        if received.replaced:
            messages.info(request, _("This file had failed before; it is imported again with these settings."))
        elif not received.created:
            messages.info(request, _already_uploaded(received.upload, form.cleaned_data))
        return redirect("upload_detail", org_slug=request.org.slug, upload_id=received.upload.pk)
    return render(request, "campaigns/upload_new.html", {"org": request.org, "form": form})


@org_view(Access.VIEW)
def upload_detail(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Progress and summary; for a manager, a failed upload (or one that imported nothing, or one whose rows
    were partly skipped for want of a campaign or a known status) comes with the form that imports it again:
    campaign, format, columns and status values, previewing the first rows."""
    upload = get_for_org(Upload, request.org, pk=upload_id)
    manage = can_manage(request.user, request.org)
    # A failed upload, or a finished one with rows skipped for a reason the user can fix here.
    retryable = manage and (upload.status == Upload.Status.FAILED or services.can_import_again(upload))
    if request.method == "POST" and not retryable:  # the 403 page says why (accounts.views.permission_denied)
        raise PermissionDenied(_("Your role in this organisation is read-only.") if not manage
                               else _("This upload cannot be imported again now."))
    form = preview_rows = None
    preview_problem = ""
    if retryable:
        form, preview_rows, preview_problem = _retry_form(request, upload)
        if request.method == "POST" and request.POST.get("action") != "preview" and form.is_valid():
            taken = services.retry(
                upload, mapping=form.mapping(), status_values=form.status_values(),
                campaign_name=form.cleaned_data["campaign"] if "campaign" in request.POST else None,
                requested_format=form.cleaned_data["format"] or upload.requested_format, user=request.user,
                date_order=form.cleaned_data.get("dates") if "dates" in form.fields else None,
                local_times=form.cleaned_data.get("times") == "local" if "times" in form.fields else None)
            if not taken:  # its analysis started meanwhile
                messages.warning(request, _("%(name)s is being analysed: import it again once that is done.")
                                 % {"name": upload.original_name})
                return redirect("upload_detail", org_slug=request.org.slug, upload_id=upload.pk)
            tasks.start_import(upload)
            messages.info(request, _("Importing %(name)s again with your settings.") % {"name": upload.original_name})
            return redirect("upload_detail", org_slug=request.org.slug, upload_id=upload.pk)
    # The campaigns its rows named, as the import recorded them (summary["campaigns"]): joining every event
    # of the upload to find them took 1.3 s at a million events.
    campaigns = Campaign.objects.filter(organization=request.org, name__in=(upload.summary or {}).get("campaigns") or [])
    # Why nothing was imported, said again from the upload's summary and row errors in the reader's language (the
    # stored error was written in the worker's); any other failure as stored.
    error = (services.nothing_imported_message(upload)[0] if (upload.summary or {}).get("nothing_imported")
             else upload.error)
    return render(request, "campaigns/upload_detail.html", {
        "org": request.org, "upload": upload, "error": error, "can_manage": manage, "campaigns": campaigns,
        "retry_form": form, "preview_rows": preview_rows, "preview_problem": preview_problem,
        "format_label": format_label(upload.detected_format or upload.requested_format),
        "import_running": upload.status in (Upload.Status.PENDING, Upload.Status.RUNNING),
        "dates_read": _dates_read(upload),
        "events_by_type": [(retry_form.STATUS_LABELS.get(kind, kind), n)
                           for kind, n in ((upload.summary or {}).get("events_by_type") or {}).items()],
    })


def _dates_read(upload: Upload) -> dict | None:
    """How the import read the file's times (campaigns.services: summary["dates"]), for the page: the order of
    its slash dates with one of them as read, how that was decided, whether the times named a zone, and the zone
    they were read in when the file says they are the user's local times (HubSpot's UI export)."""
    read = (upload.summary or {}).get("dates") or {}
    if not read:
        return None
    note = {"without_zone": bool(read.get("times_without_zone")) and not read.get("times_local"),
            "in_zone": read.get("times_in_zone"), "local": read.get("times_local")}
    slash = read.get("dates")
    if slash:
        day_first = slash.get("order") == "day_first"
        example = str(slash.get("example", ""))[:20]
        when = None
        for fmt in (DAY_FIRST_SLASH if day_first else MONTH_FIRST_SLASH):  # the formats the import read it with
            try:
                when = datetime.strptime(example, fmt).date()
                break
            except ValueError:
                continue
        if when is not None:  # an example read in the order decided (one that is not was refused, not read)
            note.update(example=example, day_first=day_first, date=when, decided_by=slash.get("decided_by"),
                        zone=upload.organization.timezone,
                        mixed_file=str(slash.get("file", ""))[:200] if slash.get("mixed") else "")
    return note


def _retry_form(request: HttpRequest, upload: Upload):
    """(the retry form, bound to a POST or filled with our best guesses; preview rows; the file's refusal)."""
    # A posted form is read against its header alone; the file is surveyed once, with the posted columns.
    layout = retry_form.survey_of(upload, max_rows=0 if request.method == "POST" else 20_000)
    if request.method != "POST":
        form = retry_form.RetryForm(upload=upload, survey=layout)
        mapping = layout.mapping if layout else None
        statuses = services.statuses_of(upload.column_mapping)
    else:
        data = request.POST.copy()
        survey = layout
        if layout is not None:
            mapping = retry_form.posted_mapping(request.POST, [c.header for c in layout.columns])
            survey = retry_form.survey_of(upload, mapping or None, retry_form.posted_statuses(request.POST))
            # The status values are those of the column chosen now: re-key the posted meanings to them.
            for key in [k for k in data if k.startswith("status_")]:
                del data[key]
            for j, (value, _rows, meaning) in enumerate(survey.status_values if survey else []):
                data[f"status_value_{j}"], data[f"status_{j}"] = value, meaning or ""
            for column in survey.columns if survey else []:  # a column not posted keeps its preselected guess
                data.setdefault(f"map_{column.index}", survey.mapping.get(column.header, "ignore"))
        form = retry_form.RetryForm(data, upload=upload, survey=survey)
        form.is_valid()
        mapping, statuses = form.mapping(), form.status_values()
        layout = survey
    if layout is None:
        return form, None, ""
    campaign = form["campaign"].value() or ""
    order = form["dates"].value() if "dates" in form.fields else None  # posted, else the stored choice
    times = form["times"].value() if "times" in form.fields else None  # posted, else the stored choice
    rows, problem = retry_form.preview(upload, mapping, statuses, campaign,
                                       date_order=order if order is not None else services.date_order_of(
                                           upload.column_mapping),
                                       local_times=times == "local" if times is not None else services.local_times_of(
                                           upload.column_mapping))
    return form, rows, problem


def _already_uploaded(upload: Upload, settings: dict) -> str:
    """Why the same file is not imported twice, and the way on when other settings were asked for."""
    asked = (settings.get("campaign") or "").strip()
    same_campaign = not asked or (upload.campaign_id and upload.campaign.name == asked[:300])
    same_format = settings.get("format", "auto") in ("auto", upload.requested_format, upload.detected_format)
    if same_campaign and same_format:
        return _("This exact file was uploaded before; showing that import instead of counting it twice.")
    return _("This exact file was imported before (on %(date)s), with other settings; its rows are counted "
             "there. To import it again with new settings, delete that import first (below), then upload it again.") % {
        "date": upload.created_at.strftime("%Y-%m-%d")}


@org_view(Access.VIEW)
def upload_status(request: HttpRequest, upload_id: int) -> JsonResponse:
    upload = get_for_org(Upload, request.org, pk=upload_id)
    return JsonResponse({
        "status": upload.status, "status_label": upload.stage_label,
        "rows_done": upload.rows_done, "rows_total": upload.rows_total, "percent": upload.progress_percent,
        "finished": upload.finished,
    })


@org_view(Access.MANAGE)
def upload_delete(request: HttpRequest, upload_id: int) -> HttpResponse:
    """GET: what deleting the upload removes, counted, and a button; POST: delete. Refused while its
    import runs (the import would write rows for an upload that is gone)."""
    upload = get_for_org(Upload, request.org, pk=upload_id)
    context = {"org": request.org, "upload": upload}
    if upload.status in (Upload.Status.PENDING, Upload.Status.RUNNING):
        return render(request, "campaigns/upload_delete.html", context | {"running": True}, status=409)
    if request.method != "POST":
        return render(request, "campaigns/upload_delete.html", context | {"removes": services.describe_deletion(upload)})
    name = upload.original_name
    upload_pk = upload.pk
    services.delete_upload(upload)
    audit.record(audit.Action.UPLOAD_DELETE, user=request.user, organization=request.org,
                 summary=f"Deleted upload {name} and its events", upload_id=upload_pk)
    messages.success(request, _("Deleted %(name)s and every event it brought.") % {"name": name})
    return redirect("organization", org_slug=request.org.slug)


upload_delete.access = Access.MANAGE
