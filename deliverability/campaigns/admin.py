from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from deliverability.accounts import audit
from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign, Upload


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "esp", "sent_at"]
    list_filter = ["organization"]
    search_fields = ["name"]


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["original_name", "organization", "status", "detected_format", "rows_done", "created_at"]
    list_filter = ["status", "organization"]
    readonly_fields = ["sha256", "size", "rows_done", "rows_total", "summary", "row_errors", "error"]

    # Deleting an upload goes through the service, as on the upload page: its events go, the
    # original file leaves the disk, and the figures of its campaigns are recomputed.
    def delete_model(self, request: HttpRequest, obj: Upload) -> None:
        _delete_upload(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        for upload in queryset:
            _delete_upload(request, upload)


def _delete_upload(request: HttpRequest, upload: Upload) -> None:
    name, upload_pk, organization = upload.original_name, upload.pk, upload.organization
    services.delete_upload(upload)
    audit.record(audit.Action.UPLOAD_DELETE, user=request.user, organization=organization,
                 summary=f"Deleted upload {name} and its events (admin)", upload_id=upload_pk)
