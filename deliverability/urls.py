from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from deliverability.accounts.tenancy import Access, declare

login = declare(Access.PUBLIC)(auth_views.LoginView.as_view())
logout = declare(Access.PUBLIC)(auth_views.LogoutView.as_view())

urlpatterns = [
    path("accounts/login/", login, name="login"),
    path("accounts/logout/", logout, name="logout"),
    path("admin/", admin.site.urls),
    path("", include("deliverability.dashboard.urls")),
    path("", include("deliverability.campaigns.urls")),
]
