from django.urls import path

from deliverability.verdicts import views

urlpatterns = [
    path("glossary/", views.glossary, name="glossary"),
    path("staff/o/<slug:org_slug>/erase/", views.erase, name="erase_address"),
    path("o/<slug:org_slug>/guidance/<str:vendor_id>/", views.guidance, name="vendor_guidance"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/notes/", views.campaign_notes, name="campaign_notes"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/notes/<int:note_id>/delete/", views.campaign_note_delete,
         name="campaign_note_delete"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/recovery/", views.recovery_exports, name="recovery_exports"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/recovery/download/", views.recovery_export_download,
         name="recovery_export_download"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/recipients/<int:recipient_id>/review/",
         views.verdict_review, name="verdict_review"),
]
