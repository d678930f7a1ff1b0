from django.contrib import admin

from .models import Domain, DomainHistory, DomainKindOverride
from .services import apply_kind_overrides


class DomainHistoryInline(admin.TabularInline):
    model = DomainHistory
    extra = 0
    can_delete = False
    fields = ("observed_at", "mx_status", "vendor_id", "vendors", "provider_id", "mx")
    readonly_fields = fields
    ordering = ("-observed_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "mx_status", "vendor_id", "provider_id", "checked_at", "expires_at")
    list_filter = ("kind", "mx_status", "vendor_category", "vendor_id")
    search_fields = ("name", "registrable_domain")
    readonly_fields = [f.name for f in Domain._meta.fields]
    inlines = [DomainHistoryInline]

    def has_add_permission(self, request) -> bool:  # rows come from imports and enrichment
        return False


@admin.register(DomainKindOverride)
class DomainKindOverrideAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "note", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "note")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change) -> None:
        if not obj.created_by_id:
            obj.created_by = request.user
        previous = DomainKindOverride.objects.filter(pk=obj.pk).values_list("name", flat=True).first()
        super().save_model(request, obj, form, change)
        apply_kind_overrides([n for n in (obj.name, previous) if n])

    def delete_model(self, request, obj) -> None:
        name = obj.name
        super().delete_model(request, obj)
        apply_kind_overrides([name])

    def delete_queryset(self, request, queryset) -> None:
        names = list(queryset.values_list("name", flat=True))
        super().delete_queryset(request, queryset)
        apply_kind_overrides(names)
