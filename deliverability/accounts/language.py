"""Whose language a page is in (issue 23).

1. the user's own choice (Profile.language, saved only by the switcher's POST: `set_language`);
2. else the organisation's language, when staff set one: the organisation in the URL, or, on pages
   outside one (home, glossary), the one organisation with a language the client user belongs to;
3. else what Django's LocaleMiddleware found: the switcher's cookie for a visitor not signed in, then
   the browser's Accept-Language. A language found that way is never written to the profile.
"""
from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.views.i18n import set_language as django_set_language

from deliverability.accounts.models import Membership, Organization, Profile
from deliverability.accounts.tenancy import Access, declare

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def user_language(user) -> str:
    """The language a user chose, or ""."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""


def recipient_language(user, org: Organization | None = None) -> str:
    """The language of mail to a user: their choice, else the organisation's, else English."""
    return user_language(user) or (org.language if org is not None else "") or settings.LANGUAGE_CODE


def organization_language(org: Organization | None) -> str:
    """The weekly PDF's language: the organisation's, else English."""
    return (org.language if org is not None else "") or settings.LANGUAGE_CODE


def _activate(request: HttpRequest, code: str) -> None:
    if code in LANGUAGE_CODES:
        translation.activate(code)
        request.LANGUAGE_CODE = code


class UserLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: the saved language over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user_chose_language = False
        code = user_language(getattr(request, "user", None))
        if code:
            request.user_chose_language = True
            _activate(request, code)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("org_slug")
        org = Organization.objects.filter(slug=slug).values("language", "timezone").first() if slug else None
        if org is not None:
            # Times on an organisation's pages are in its time zone (its weeks run Monday to Sunday there).
            timezone.activate(zoneinfo.ZoneInfo(org["timezone"]))  # validated when saved
        # A choice made with the switcher before signing in (its cookie) wins over the organisation's.
        if request.user_chose_language or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in LANGUAGE_CODES:
            return None
        if slug:
            code = org["language"] if org else ""
        elif request.user.is_authenticated and not request.user.is_staff:
            languages = set(Membership.objects.filter(user=request.user)
                            .exclude(organization__language="")
                            .values_list("organization__language", flat=True))
            code = languages.pop() if len(languages) == 1 else ""
        else:
            code = ""
        if code:
            _activate(request, code)
        return None


@declare(Access.PUBLIC)
def set_language(request: HttpRequest) -> HttpResponse:
    """The switcher: Django's set_language (cookie, redirect back), and for a signed-in user the
    choice saved to their profile, so it follows them to other browsers and to their emails."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and code in LANGUAGE_CODES:
        Profile.objects.update_or_create(user=request.user, defaults={"language": code})
    return response
