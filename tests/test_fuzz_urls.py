"""Crafted input on every URL of the permission matrix answers 4xx (or a page), never 500.

Every URL pattern the permission matrix enumerates is requested by a signed-in staff user (who
may reach every page) with hostile values in each path argument and in each query parameter the
view reads. The parameters are not listed by hand: a first request records which ones the view
looked at (a page added later is fuzzed on its own parameters), and the parameters any view of
the project reads are sent to every page as well.
"""
from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from tests.test_permissions import KWARGS, ROUTES, world  # noqa: F401  (the world fixture)

# Hostile values: NUL, huge and negative numbers, impossible dates, forged or broken cursors
# (base64 of JSON of the wrong types), overlong and odd text.
VALUES = [
    "a\x00b", "\x00", "9" * 40, "-1", "-99999999999999999999", "1e309", "NaN", "0001-01-01", "9999-12-31",
    "2026-02-30", "WyJ4Il0", "!!!not-base64", base64.urlsafe_b64encode(json.dumps([{"a": 1}, [2]]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps(["2026-13-45T99:99:99", 10**30]).encode()).decode(), "x" * 6000,
    "é\u202e\ufeff", "../../etc/passwd", "%", "[]",
]
# Parameters some view of the project reads: sent to every page.
KNOWN_PARAMS = ["q", "after", "dafter", "rafter", "before", "csv", "vendor", "kind", "sort", "verdict", "rverdict",
                "domain", "sender_domain", "sender_ips", "action", "organization", "user", "week", "page"]
# Every table a view offers for download (`?csv=`): each parameter is fuzzed on that path too.
CSV_TABLES = ["matches", "history", "domains", "recipients", "campaigns", "figures", "organizations", "vendors",
              "bounces", "signatures"]
CSV_PATH_VALUES = {"a\x00b", "9" * 40, "-1", "0001-01-01", "WyJ4Il0", "x" * 6000}
# Values for path arguments, by converter.
PATH_VALUES = {
    "int": ["9" * 30, str(2**63), "0"],
    "isodate": ["0001-01-01", "9999-12-31", "2026-02-30", "0000-00-00", "2026-11-02"],
    "str": ["a\x00b", "x" * 3000, "%25", "é\u202e", "-1"],
    "path": ["a\x00b", "x" * 3000, "a/../b", "%25", "é\u202e", "northwind-freight.com\x00"],
    "slug": ["x" * 3000, "-1"],
}


class RecordingQueryDict(QueryDict):
    """request.GET that remembers which parameters the view asked for by name (copying the whole
    query string, as the "next page" links do, asks for none)."""

    _copying = False

    def __init__(self, *args, **kwargs):
        self._copying = True  # building the dict looks every key up
        super().__init__(*args, **kwargs)
        self._copying = False

    def _note(self, key):
        if isinstance(key, str) and not self._copying:
            ASKED.add(key)

    def items(self):
        self._copying = True
        try:
            return list(super().items())
        finally:
            self._copying = False

    def lists(self):
        self._copying = True
        try:
            return list(super().lists())
        finally:
            self._copying = False

    def copy(self):
        self._copying = True
        try:
            return super().copy()
        finally:
            self._copying = False

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


ASKED: set[str] = set()


class RecordQueryParams:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = RecordingQueryDict(request.META.get("QUERY_STRING", ""))
        return self.get_response(request)


def _request(client, url: str, params: dict | None = None):
    if params:
        url = url + "?" + urlencode(params)
    try:
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url, params or {})
    except Exception as exc:  # the test client re-raises a view's exception: name the request
        raise AssertionError(f"{url[:300]!r} raised {type(exc).__name__}: {exc}") from exc
    return response


def _converters(pattern) -> dict[str, str]:
    names = {}
    for key, converter in pattern.pattern.converters.items():
        kind = type(converter).__name__.replace("Converter", "").lower()
        names[key] = {"isodate": "isodate", "int": "int", "path": "path", "slug": "slug"}.get(kind, "str")
    return names


def _url_with(name, pattern, world, key=None, raw=None) -> str:  # noqa: F811
    """reverse() with valid values, then one argument replaced by a raw (URL-quoted) value."""
    values = {k: KWARGS[k](world) for k in pattern.pattern.converters}
    if key is None:
        return reverse(name, kwargs=values)
    marker = "9" * 17 if _converters(pattern)[key] == "int" else ("2099-01-05" if _converters(pattern)[key] == "isodate"
                                                                   else "zzfuzzmarkerzz")
    values[key] = int(marker) if marker.isdigit() else marker
    url = reverse(name, kwargs=values)
    assert url.count(str(marker)) == 1
    return url.replace(str(marker), quote(raw, safe="/"))


def _assert_no_500(response, what: str) -> None:
    assert response.status_code < 500, f"{what} answered {response.status_code}"


@pytest.mark.parametrize("name,pattern", ROUTES, ids=[name for name, _ in ROUTES])
def test_no_500_on_crafted_input(client, world, settings, name, pattern):  # noqa: F811
    """GIVEN any URL of the matrix and a staff user WHEN path arguments or query parameters hold
    NUL, huge or negative numbers, bad dates, forged cursors or overlong text THEN no 500."""
    settings.MIDDLEWARE = ["tests.test_fuzz_urls.RecordQueryParams", *settings.MIDDLEWARE]
    client.force_login(world["users"]["staff"])
    url = _url_with(name, pattern, world)
    ASKED.clear()
    first = _request(client, url)
    _assert_no_500(first, url)
    # A PDF takes seconds to render: fewer values there.
    values = VALUES if first.get("Content-Type", "").startswith(("text/", "application/json")) else VALUES[:4]
    for value in values:
        _assert_no_500(_request(client, url, dict.fromkeys(KNOWN_PARAMS, value)), f"{url} with every parameter={value!r}")
    read_here = set(ASKED)
    # The tables this view offers for download: each parameter is fuzzed on that path too.
    tables = [t for t in CSV_TABLES if "csv" in read_here
              and _request(client, url, {"csv": t}).get("Content-Type", "").startswith("text/csv")]
    for key in sorted(read_here):
        for value in values:
            _assert_no_500(_request(client, url, {key: value}), f"{url}?{key}={value!r}")
            if key != "csv" and value in CSV_PATH_VALUES:
                for table in tables:
                    _assert_no_500(_request(client, url, {key: value, "csv": table}), f"{url}?{key}={value!r}&csv={table}")
    for key, kind in _converters(pattern).items():
        for raw in PATH_VALUES[kind]:
            bad = _url_with(name, pattern, world, key, raw)
            _assert_no_500(_request(client, bad), f"{bad!r}")


@pytest.mark.parametrize("path,status", [
    ("/o/acme/search/?q=a%00b", 400), ("/o/acme/campaigns/{campaign}/?vendor=%00", 400),
    ("/o/acme/domains/a%00b.example/", 400), ("/o/acme/weekly/0001-01-01/", 404),
    ("/o/acme/weekly/0001-01-01/review.pdf", 404), ("/o/acme/weekly/0001-01-01/?csv=figures", 404),
    ("/staff/weekly/0001-01-01/", 404), ("/?after=WyJ4Il0", 400), ("/o/acme/?after=WyJ4Il0", 400),
    ("/o/acme/campaigns/{campaign}/?dafter=WyJ4Il0", 400), ("/o/acme/search/?q=jane&after=WyJ4Il0", 400),
])
def test_the_red_team_requests_answer_4xx(client, world, path, status):  # noqa: F811
    """The crafted requests of the red-team report, each with the answer it now gets."""
    client.force_login(world["users"]["staff"])
    assert client.get(path.format(campaign=world["campaign"].pk)).status_code == status
