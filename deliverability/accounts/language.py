"""Whose language a page is in (issue 23).

1. the user's own choice (Profile.language, saved only by the switcher's POST: `set_language`);
2. else the organisation's language, when staff set one: the organisation in the URL, or, on pages
   outside one (home, glossary), the one organisation with a language the client user belongs to;
3. else what Django's LocaleMiddleware found: the switcher's cookie for a visitor not signed in, then
   the browser's Accept-Language. A language found that way is never written to the profile.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
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
    return user_language(user) or organization_language(org)


def organization_language(org: Organization | None) -> str:
    """The weekly PDF's language: the organisation's, else English."""
    return (org.language if org is not None else "") or settings.LANGUAGE_CODE


PROFILE_KEY = "profile_language"  # the user's saved choice, copied into the session at sign-in
MEMBER_KEY = "member_language"  # the language of the client user's organisation(s), when they agree


def _activate(request: HttpRequest, code: str) -> None:
    if code in LANGUAGE_CODES:
        translation.activate(code)
        request.LANGUAGE_CODE = code


def remember_languages(request: HttpRequest, user) -> None:
    """At sign-in: the user's choice and their organisations' language into the session, so that pages
    read them without a query."""
    request.session[PROFILE_KEY] = user_language(user)
    languages = set() if user.is_staff else set(
        Membership.objects.filter(user=user).exclude(organization__language="")
        .values_list("organization__language", flat=True))
    request.session[MEMBER_KEY] = languages.pop() if len(languages) == 1 else ""


def apply_organization(request: HttpRequest, org: Organization) -> None:
    """On an organisation's page (tenancy.org_view, which has the organisation at hand): its time zone, and
    its language unless the user chose one (profile, or the switcher's cookie before signing in). Not for agency
    staff: the organisation's language is its clients'; staff read theirs (their choice, else their browser's)
    on every client's pages, as they do on the pages of no organisation."""
    timezone.activate(org.tzinfo)
    if getattr(request, "user_chose_language", False) or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in LANGUAGE_CODES:
        return
    if getattr(getattr(request, "user", None), "is_staff", False):
        return
    if org.language:
        _activate(request, org.language)


class UserLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: the saved language over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user_chose_language = False
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if PROFILE_KEY not in request.session:  # a session from before languages were remembered
                remember_languages(request, user)
            code = request.session.get(PROFILE_KEY, "")
            if code:
                request.user_chose_language = True
                _activate(request, code)
            elif request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) not in LANGUAGE_CODES:
                _activate(request, request.session.get(MEMBER_KEY, ""))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember_languages(request, user)


@declare(Access.PUBLIC)
def set_language(request: HttpRequest) -> HttpResponse:
    """The switcher: Django's set_language (cookie, redirect back), and for a signed-in user the
    choice saved to their profile, so it follows them to other browsers and to their emails."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and code in LANGUAGE_CODES:
        Profile.objects.update_or_create(user=request.user, defaults={"language": code})
        request.session[PROFILE_KEY] = code
    return response
