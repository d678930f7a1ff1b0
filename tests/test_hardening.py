"""HTTPS settings from the environment (off unless set), CSP, no-store on client data, NUL refused,
the .env.example placeholder secret refused."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PRINT_SETTINGS = ("import json, django; from django.conf import settings; django.setup(); print(json.dumps({k: getattr("
                  "settings, k, None) for k in ('SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
                  "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SECURE_PROXY_SSL_HEADER')}))")


def _settings_with(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SECURE_")}
    base.update({"DJANGO_SETTINGS_MODULE": "deliverability.settings", "SECRET_KEY": "a-real-secret-for-this-test-" * 2,
                 **env})
    return subprocess.run([sys.executable, "-c", PRINT_SETTINGS], env=base, cwd=ROOT, capture_output=True, text=True)


def test_https_settings_are_off_unless_set():
    result = _settings_with()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0,
                                         "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": False,
                                         "SECURE_PROXY_SSL_HEADER": None}


def test_https_settings_come_from_the_environment():
    result = _settings_with(SECURE_SSL_REDIRECT="1", SECURE_HSTS_SECONDS="31536000", SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
                            SECURE_HSTS_PRELOAD="1", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000,
                                         "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
                                         "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}


def test_the_env_example_placeholder_secret_is_refused_and_only_that_one():
    placeholder = next(line.split("=", 1)[1].strip() for line in (ROOT / ".env.example").read_text().splitlines()
                       if line.startswith("SECRET_KEY="))
    refused = _settings_with(SECRET_KEY=placeholder)
    assert refused.returncode != 0
    assert "SECRET_KEY is still the placeholder from .env.example" in refused.stderr
    assert _settings_with(SECRET_KEY=placeholder + "-changed").returncode == 0


def test_hsts_and_redirect_reach_the_response(client, settings, viewer_a):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/accounts/login/")["Location"].startswith("https://")
    secure = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200 and secure["Strict-Transport-Security"] == "max-age=3600"


def test_plain_http_works_by_default(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200 and "Strict-Transport-Security" not in response


def test_pages_carry_a_strict_content_security_policy(client, viewer_a, org_a):
    client.force_login(viewer_a)
    policy = client.get(reverse("organization", kwargs={"org_slug": org_a.slug}))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_and_exports_with_client_data_are_not_stored(client, viewer_a, org_a, campaign_a):
    client.force_login(viewer_a)
    for url in (reverse("organization", kwargs={"org_slug": org_a.slug}),
                reverse("campaign", kwargs={"org_slug": org_a.slug, "campaign_id": campaign_a.pk}) + "?csv=domains",
                reverse("campaign_recovery_list", kwargs={"org_slug": org_a.slug, "campaign_id": campaign_a.pk}),
                reverse("search", kwargs={"org_slug": org_a.slug}) + "?q=jane"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_static_files_keep_their_cache_lifetime(client, db):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/o/acme/search/?q=a%00b", "/o/acme/campaigns/1/?vendor=%00",
                                 "/o/acme/domains/a%00b.example/", "/accounts/login/?next=%00"])
def test_a_nul_anywhere_in_the_request_is_a_400(client, viewer_a, url):
    client.force_login(viewer_a)
    response = client.get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_nul_in_a_posted_form_is_a_400(client, staff, org_a):
    client.force_login(staff)
    response = client.post(reverse("members", kwargs={"org_slug": org_a.slug}), "action=remove&membership=1%00",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["abc", "1\x00", "9" * 40, "-1", "１"])
@pytest.mark.parametrize("action,field", [("remove", "membership"), ("revoke", "invitation"), ("role", "membership")])
def test_members_page_answers_a_crafted_id_without_500(client, staff, org_a, action, field, value):
    client.force_login(staff)
    response = client.post(reverse("members", kwargs={"org_slug": org_a.slug}),
                           {"action": action, field: value, "role": "viewer"})
    assert response.status_code in (200, 302, 404)
