"""Sign-in throttling (django-axes) and rate limits on password resets and invitations (django-ratelimit).

django-axes counts failed sign-ins in the database, per username and per client address, so it
works on the embedded defaults (no Redis). Once either reaches settings.AXES_FAILURE_LIMIT, every
sign-in for that username or from that address is refused (the right password included) until
settings.AXES_COOLOFF_TIME has passed. Failures and lock-outs are written to the audit log.
"""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from deliverability.accounts import audit

TOO_MANY = 429


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins that come with a request (every web sign-in does).

    Django's test client and code that calls authenticate() without a request have no client to
    throttle: axes would raise; here the check steps aside and the next backend authenticates."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _minutes(delta) -> int:
    return max(1, round(delta.total_seconds() / 60))


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The answer to any sign-in during a lock-out: a plain page, 429, the same for every account."""
    return render(request, "registration/locked_out.html",
                  {"minutes": _minutes(settings.AXES_COOLOFF_TIME), "limit": settings.AXES_FAILURE_LIMIT},
                  status=TOO_MANY)


def _client_address(request: HttpRequest | None) -> str:
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "")[:64]


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username") or "")[:150]
    audit.record_anonymous(audit.Action.LOGIN_FAILED, username=username, summary=f"Failed sign-in as {username!r}"[:300],
                           address=_client_address(request))


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    name = str(username or "")[:150]
    audit.record_anonymous(audit.Action.LOGIN_LOCKED, username=name,
                           summary=f"Sign-in locked for {_minutes(settings.AXES_COOLOFF_TIME)} minutes"
                                   f" after {settings.AXES_FAILURE_LIMIT} failures ({name!r})"[:300],
                           address=str(ip_address or "")[:64])


# --- Rate limits -------------------------------------------------------------------------------


def _times(rate: str, factor: int) -> str:
    count, _, period = rate.partition("/")
    return f"{int(count) * factor}/{period}"


def password_reset_limited(request: HttpRequest) -> bool:
    """True when this reset request is over the limit: per address asked for (any address, known
    or not, so the answer says nothing about accounts), and four times that per client address."""
    rate = settings.PASSWORD_RESET_RATE
    by_client = is_ratelimited(request, group="password-reset-client", key="ip", rate=_times(rate, 4),
                               method="POST", increment=True)
    by_address = is_ratelimited(request, group="password-reset-address",
                                key=lambda group, req: req.POST.get("email", "").strip().lower()[:320],
                                rate=rate, method="POST", increment=True)
    return by_client or by_address


def invitation_limited(request: HttpRequest) -> bool:
    """True when this staff user has sent settings.INVITATION_RATE invitations already."""
    return is_ratelimited(request, group="invitations", key="user", rate=settings.INVITATION_RATE, method="POST",
                          increment=True)


def invitation_link_limited(request: HttpRequest) -> bool:
    """Tries of invitation links from one client address (a wrong token costs one try)."""
    return is_ratelimited(request, group="invitation-link", key="ip", rate="60/h", method=("GET", "POST"),
                          increment=True)


def sender_check_limited(request: HttpRequest) -> bool:
    """"Check now" on the sender-health page, per organisation (any of its managers and staff together):
    every check asks DNS and the blocklists many questions, so a client cannot make it unbounded work."""
    return is_ratelimited(request, group="sender-check", key=lambda group, req: str(req.org.pk),
                          rate=settings.SENDER_CHECK_RATE, method="POST", increment=True)


def too_many(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "registration/rate_limited.html", {"message": message}, status=TOO_MANY)


def reset_limit_message() -> str:
    return _("Too many password reset requests. Wait an hour before asking again.")
