from django.urls import path

from deliverability.dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path("o/<slug:org_slug>/", views.organization, name="organization"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/recovery-list.csv", views.campaign_recovery_list,
         name="campaign_recovery_list"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/recipients/<int:recipient_id>/", views.campaign_recipient,
         name="campaign_recipient"),
    path("o/<slug:org_slug>/domains/<path:domain>/", views.org_domain, name="org_domain"),
    path("o/<slug:org_slug>/vendors/<str:vendor_id>/", views.org_vendor, name="org_vendor"),
    path("o/<slug:org_slug>/search/", views.search, name="search"),
    path("staff/vendors/", views.staff_vendors, name="staff_vendors"),
    path("staff/vendors/<str:vendor_id>/", views.staff_vendor, name="staff_vendor"),
    path("staff/domains/<path:domain>/", views.staff_domain, name="staff_domain"),
]
