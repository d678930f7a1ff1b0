from django.contrib import admin

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
