from django.urls import path

from deliverability.campaigns import views

urlpatterns = [
    path("o/<slug:org_slug>/uploads/new/", views.upload_new, name="upload_new"),
    path("o/<slug:org_slug>/uploads/<int:upload_id>/", views.upload_detail, name="upload_detail"),
    path("o/<slug:org_slug>/uploads/<int:upload_id>/status/", views.upload_status, name="upload_status"),
    path("o/<slug:org_slug>/uploads/<int:upload_id>/delete/", views.upload_delete, name="upload_delete"),
]
