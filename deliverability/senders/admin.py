from django.contrib import admin

from .models import ListingPeriod, SenderChange, SenderCheck, SenderProfile, SendingDomain, SendingIp


@admin.register(SendingDomain)
class SendingDomainAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "role")
    list_filter = ("role",)
    search_fields = ("name", "organization__name")


@admin.register(SendingIp)
class SendingIpAdmin(admin.ModelAdmin):
    list_display = ("address", "organization", "dedicated")
    search_fields = ("address", "organization__name")


@admin.register(SenderProfile)
class SenderProfileAdmin(admin.ModelAdmin):
    list_display = ("organization", "updated_at")


@admin.register(SenderCheck)
class SenderCheckAdmin(admin.ModelAdmin):
    list_display = ("subject", "organization", "kind", "status", "checked_at")
    list_filter = ("kind", "status")
    search_fields = ("subject",)
    readonly_fields = ("organization", "kind", "subject", "checked_at", "status", "problems", "result")


@admin.register(SenderChange)
class SenderChangeAdmin(admin.ModelAdmin):
    list_display = ("subject", "organization", "kind", "code", "occurred_at")
    list_filter = ("kind",)


@admin.register(ListingPeriod)
class ListingPeriodAdmin(admin.ModelAdmin):
    list_display = ("subject", "zone", "code", "started_at", "ended_at")
