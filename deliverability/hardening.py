"""Request and response hardening that every page gets without knowing it.

- A NUL character in the path or in a query/form value is refused with 400 before any view runs:
  no field of this product holds one, and PostgreSQL refuses it inside a query (a 500 otherwise).
- Pages and downloads carry `Cache-Control: no-store`: they hold client data (addresses, bounce
  texts) that a shared proxy or the browser's disk cache must not keep. Static files are served
  by WhiteNoise before this middleware and keep their long cache lifetimes.
"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

_FORM_TYPES = ("application/x-www-form-urlencoded",)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return True
    # Only plain forms are read here: a multipart body is left to its upload handlers (the upload
    # page sets its own size limit before the body is read).
    if request.method == "POST" and request.content_type in _FORM_TYPES:
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False


class HardeningMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return HttpResponseBadRequest(_("The request holds a NUL character, which no field accepts."),
                                          content_type="text/plain; charset=utf-8")
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
