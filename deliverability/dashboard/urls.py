from django.urls import path, register_converter

from deliverability.dashboard import sender_views, sharing, views, weekly_views

urlpatterns = [
    path("", views.home, name="home"),
    path("o/<slug:org_slug>/", views.organization, name="organization"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/recovery-list.csv", views.campaign_recovery_list,
         name="campaign_recovery_list"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/suppress-list.csv", views.campaign_suppress_list,
         name="campaign_suppress_list"),
    path("o/<slug:org_slug>/campaigns/<int:campaign_id>/recipients/<int:recipient_id>/", views.campaign_recipient,
         name="campaign_recipient"),
    path("o/<slug:org_slug>/domains/<path:domain>/", views.org_domain, name="org_domain"),
    path("o/<slug:org_slug>/vendors/<str:vendor_id>/", views.org_vendor, name="org_vendor"),
    path("o/<slug:org_slug>/search/", views.search, name="search"),
    path("o/<slug:org_slug>/uploads/<int:upload_id>/share/", sharing.upload_share, name="upload_share"),
    path("o/<slug:org_slug>/senders/", sender_views.sender_health, name="sender_health"),
    path("o/<slug:org_slug>/senders/settings/", sender_views.sender_settings, name="sender_settings"),
    path("o/<slug:org_slug>/senders/check/", sender_views.sender_check_now, name="sender_check_now"),
    path("staff/vendors/", views.staff_vendors, name="staff_vendors"),
    path("staff/vendors/<str:vendor_id>/", views.staff_vendor, name="staff_vendor"),
    path("staff/domains/<path:domain>/", views.staff_domain, name="staff_domain"),
]


class IsoDateConverter:
    """yyyy-mm-dd in a URL (validated as a date by the view)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(IsoDateConverter, "isodate")

urlpatterns += [
    path("o/<slug:org_slug>/weekly/", weekly_views.weekly_latest, name="weekly_latest"),
    path("o/<slug:org_slug>/weekly/<isodate:week>/", weekly_views.weekly_week, name="weekly_week"),
    path("o/<slug:org_slug>/weekly/<isodate:week>/review.pdf", weekly_views.weekly_pdf, name="weekly_pdf"),
    path("o/<slug:org_slug>/weekly/digest/", weekly_views.weekly_subscription, name="weekly_subscription"),
    path("staff/weekly/", weekly_views.staff_weekly_latest, name="staff_weekly_latest"),
    path("staff/weekly/<isodate:week>/", weekly_views.staff_weekly_week, name="staff_weekly_week"),
]
