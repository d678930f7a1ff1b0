from django.urls import path

from deliverability.accounts import views

urlpatterns = [
    path("invitations/<slug:org_slug>/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("staff/o/<slug:org_slug>/members/", views.members, name="members"),
    path("staff/organisations/new/", views.organization_new, name="organization_new"),
    path("staff/audit/", views.audit_log, name="audit_log"),
]
