from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from deliverability.accounts.language import set_language
from deliverability.accounts.tenancy import Access, declare
from deliverability.accounts.views import ThrottledPasswordResetView

login = declare(Access.PUBLIC)(auth_views.LoginView.as_view())
logout = declare(Access.PUBLIC)(auth_views.LogoutView.as_view())
password_reset = declare(Access.PUBLIC)(ThrottledPasswordResetView.as_view())
password_reset_done = declare(Access.PUBLIC)(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = declare(Access.PUBLIC)(auth_views.PasswordResetConfirmView.as_view())
password_reset_complete = declare(Access.PUBLIC)(auth_views.PasswordResetCompleteView.as_view())

# A refused action (a viewer on a manager's page): a page in the site's layout that says why (issue 23).
handler403 = "deliverability.accounts.views.permission_denied"

urlpatterns = [
    path("accounts/login/", login, name="login"),
    path("accounts/logout/", logout, name="logout"),
    path("accounts/password-reset/", password_reset, name="password_reset"),
    path("accounts/password-reset/sent/", password_reset_done, name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", password_reset_confirm, name="password_reset_confirm"),
    path("accounts/reset/done/", password_reset_complete, name="password_reset_complete"),
    # The language switcher (a POST form on every page): Django's set_language, plus the user's profile.
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("deliverability.dashboard.urls")),
    path("", include("deliverability.campaigns.urls")),
    path("", include("deliverability.accounts.urls")),
    path("", include("deliverability.verdicts.urls")),
    path("", include("deliverability.webhooks.urls")),
]
