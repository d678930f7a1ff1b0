"""Red-team round 2 over the surfaces added since round 1: CSRF on every form, the language switcher's
redirect, sender-health "Check now" work bounds, untrusted text on the sender and upload pages, and
tenancy of member removal and upload retries. Real database, real loopback DNS, Django's test client."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from deliverability.accounts.models import Membership
from deliverability.campaigns import services
from deliverability.campaigns.models import Upload
from deliverability.devtools.loopback_dns import LoopbackDNS
from deliverability.senders.models import SenderProfile, SendingDomain
from deliverability.senders.services import check_organization
from tests.factories import make_membership, make_user
from tests.test_permissions import KWARGS, ROUTES, _url, world  # noqa: F401 (world: the matrix's fixture)

# --- CSRF: every route that takes a POST refuses one without the token, but the ESP hook ---------------
CSRF_EXEMPT = {"webhook"}  # ESPs post without a session; each request proves itself by token and signature


@pytest.mark.parametrize("name,pattern", [r for r in ROUTES if r[0] not in CSRF_EXEMPT], ids=[
    name for name, _ in ROUTES if name not in CSRF_EXEMPT])
def test_a_post_without_the_csrf_token_is_refused_on_every_route(world, name, pattern):  # noqa: F811
    """GIVEN a signed-in staff user who also manages organisation A (every view lets them in) WHEN a page
    of another site makes their browser POST to any URL without the CSRF token THEN 403, nothing done."""
    user = world["users"]["staff"]
    make_membership(user, world["org_a"], "manager")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(_url(name, pattern, world), {"action": "remove", "confirmed": "yes"})
    assert response.status_code == 403, f"{name}: a cross-site POST got {response.status_code}"


def test_the_hook_alone_is_exempt_and_still_404_for_a_stranger(world):  # noqa: F811
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("webhook", args=["postmark", "nope"]), data=b"{}",
                       content_type="application/json").status_code == 404


# --- the language switcher: no open redirect -------------------------------------------------------------
@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example", "https:evil.example",
    "javascript:alert(1)", "http://testserver@evil.example/", " https://evil.example", "\thttps://evil.example",
    "/%2F%2Fevil.example",
])
@pytest.mark.parametrize("signed_in", [False, True])
def test_the_language_switcher_never_redirects_off_site(client, org_a, viewer_a, target, signed_in):
    if signed_in:
        client.force_login(viewer_a)
    for data, extra in (({"language": "es", "next": target}, {}), ({"language": "es"}, {"HTTP_REFERER": target})):
        response = client.post(reverse("set_language"), data, **extra)
        assert response.status_code == 302
        location = urlsplit(response["Location"].strip())
        assert location.scheme in ("", "http", "https") and location.netloc in ("", "testserver"), response["Location"]
        assert not response["Location"].lstrip().startswith(("//", "/\\", "\\"))


def test_the_switcher_saves_only_a_known_language(client, viewer_a):
    client.force_login(viewer_a)
    client.post(reverse("set_language"), {"language": "xx<script>", "next": "/"})
    from deliverability.accounts.models import Profile

    assert not Profile.objects.filter(user=viewer_a).exclude(language="").exists()


# --- sender health: "Check now" is bounded -------------------------------------------------------------
def test_check_now_is_rate_limited_per_organisation(client, org_a, org_b, manager_a, settings):
    settings.SENDER_CHECK_RATE = "2/h"
    manager_b = make_user("manager-b")
    make_membership(manager_b, org_b, "manager")
    client.force_login(manager_a)
    url = reverse("sender_check_now", args=[org_a.slug])
    assert [client.post(url).status_code for _ in range(3)] == [302, 302, 429]
    staff = make_user("staff", is_staff=True)
    client.force_login(staff)  # the limit is the organisation's, whoever clicks
    assert client.post(url).status_code == 429
    client.force_login(manager_b)  # another organisation is not held up
    assert client.post(reverse("sender_check_now", args=[org_b.slug])).status_code == 302


def test_sender_settings_bound_the_dns_work_one_check_can_ask_for(client, org_a, manager_a):
    client.force_login(manager_a)
    url = reverse("sender_settings", args=[org_a.slug])
    selectors = " ".join(f"s{i}" for i in range(500))
    response = client.post(url, {"domains": f"news.example.com from {selectors}", "ips": "", "dnsbl_zones": "",
                                  "domain_blocklists": ""})
    assert response.status_code == 200 and "at most 10 DKIM selectors" in response.content.decode()
    zones = "\n".join(f"zone{i}.example.net" for i in range(100))
    response = client.post(url, {"domains": "", "ips": "", "dnsbl_zones": zones, "domain_blocklists": zones})
    assert response.status_code == 200 and "At most 20 zones" in response.content.decode()
    assert not SendingDomain.objects.filter(organization=org_a).exists()


HOSTILE_ZONE = """
$TTL 3600
.                          300 IN SOA ns.loopback. hostmaster.loopback. 2026120501 3600 600 86400 300
xss-sender.com.            IN TXT "v=spf1 include:<script>alert(1)</script> -all"
s1._domainkey.xss-sender.com. IN TXT "v=DKIM1; k=rsa; p=<img src=x onerror=alert(2)>"
_dmarc.xss-sender.com.     IN TXT "v=DMARC1; p=<svg onload=alert(3)>; rua=mailto:<b>x</b>@xss-sender.com"
"""


def test_dns_text_shown_on_the_sender_page_is_escaped(client, org_a, viewer_a, settings):
    """TXT records are written by whoever owns the zone (a client's DNS, an attacker's include): text."""
    with LoopbackDNS.from_text(HOSTILE_ZONE) as server:
        settings.DNS_NAMESERVERS = [server.nameserver]
        settings.DNS_TIMEOUT = 3.0
        settings.SENDER_DNSBL_ZONES = ["bl.example.invalid"]
        settings.SENDER_DOMAIN_BLOCKLISTS = ["dbl.example.invalid"]
        cache.clear()
        SenderProfile.objects.create(organization=org_a, esps=["sendgrid"])
        SendingDomain.objects.create(organization=org_a, name="xss-sender.com", role="from", selectors=["s1"])
        checks = check_organization(org_a, nameservers=[server.nameserver])
    assert "<script>" in str(checks[0].result)  # the record was read as written
    client.force_login(viewer_a)
    page = client.get(reverse("sender_health", args=[org_a.slug])).content.decode()
    for raw in ("<script>alert(1)", "<img src=x", "<svg onload", "<b>x</b>"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)" in page


# --- untrusted file names, headers and status values on the upload page -------------------------------
HOSTILE_CSV = (b"<script>alert(1)</script>,\"<img src=x onerror=alert(2)>\"\n"
               + b"".join(b"user%d@acme-logistics.com,<svg onload=alert(3)>\n" % i for i in range(30)))


def test_file_names_headers_and_status_values_in_the_mapping_preview_are_escaped(client, org_a, manager_a):
    client.force_login(manager_a)
    client.post(reverse("upload_new", args=[org_a.slug]),
                {"file": SimpleUploadedFile("<svg onload=alert(4)>.csv", HOSTILE_CSV), "campaign": "", "format": "auto"})
    for upload in Upload.objects.filter(organization=org_a, status=Upload.Status.PENDING):
        services.run_import(upload.pk)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.FAILED  # no campaign named: the retry form and its preview show
    page = client.get(reverse("upload_detail", args=[org_a.slug, upload.pk])).content.decode()
    assert "user0@acme-logistics.com" in page  # the preview is there
    for raw in ("<script>alert(1)", "<img src=x", "<svg onload"):
        assert raw not in page, raw
    preview = client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {"action": "preview",
                                                                                   "campaign": "<b>camp</b>"})
    assert "<b>camp</b>" not in preview.content.decode() and "<svg onload" not in preview.content.decode()


# --- tenancy of the new actions -----------------------------------------------------------------------
def test_a_retry_posted_for_another_organisations_upload_is_404_either_way(client, org_a, org_b, manager_a):
    upload = Upload.objects.create(organization=org_a, original_name="a.csv", sha256="a" * 64, file="uploads/none",
                                   status=Upload.Status.FAILED)
    manager_b = make_user("manager-b")
    make_membership(manager_b, org_b, "manager")
    client.force_login(manager_b)
    for slug in (org_b.slug, org_a.slug):
        for name in ("upload_detail", "upload_delete", "upload_share"):
            response = client.post(reverse(name, args=[slug, upload.pk]), {"campaign": "stolen", "confirmed": "yes"})
            assert response.status_code == 404, (name, slug)
    assert Upload.objects.filter(pk=upload.pk, status=Upload.Status.FAILED).exists()


def test_staff_cannot_remove_or_change_a_member_through_another_organisations_page(client, org_a, org_b, staff):
    member_b = make_user("member-b")
    membership = make_membership(member_b, org_b, "viewer")
    client.force_login(staff)
    url = reverse("members", args=[org_a.slug])
    client.post(url, {"action": "remove", "membership": membership.pk, "confirmed": "yes"})
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert client.post(url, {"action": "role", "membership": membership.pk, "role": "manager"}).status_code == 404
    assert Membership.objects.get(pk=membership.pk).role == "viewer"


def test_the_organisation_page_refuses_clients_and_escapes_names(client, org_a, manager_a, staff):
    client.force_login(manager_a)
    assert client.post(reverse("organization_new"), {"name": "Evil", "slug": "evil"}).status_code == 404
    client.force_login(staff)
    page = client.post(reverse("organization_new"), {"name": "<script>alert(1)</script>", "slug": "acme",
                                                     "timezone": "UTC"}).content.decode()
    assert "<script>alert(1)" not in page


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "::1",
                                     "fe80::1", "fd00::1", "0.0.0.0", "224.0.0.1", "::ffff:10.0.0.1"])
def test_sender_settings_refuse_internal_ips(client, org_a, manager_a, address):
    """The check asks the agency's resolver for each IP's PTR and shows the names: an internal address would
    show the agency's own network names to a client."""
    client.force_login(manager_a)
    response = client.post(reverse("sender_settings", args=[org_a.slug]),
                           {"domains": "", "ips": f"192.0.2.10\n{address}", "dnsbl_zones": "", "domain_blocklists": ""})
    assert response.status_code == 200 and "private or reserved" in response.content.decode()
    from deliverability.senders.models import SendingIp

    assert not SendingIp.objects.filter(organization=org_a).exists()


def test_sender_settings_keep_public_and_documentation_ips(client, org_a, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse("sender_settings", args=[org_a.slug]),
                           {"domains": "", "ips": "8.8.8.8\n192.0.2.10 shared\n2001:db8::1\n2a00:1450::1",
                            "dnsbl_zones": "", "domain_blocklists": ""})
    assert response.status_code == 302


DQS_ZONE = """
$TTL 3600
.                          300 IN SOA ns.loopback. hostmaster.loopback. 2026120501 3600 600 86400 300
20.2.0.192.sekretdqskey0123456789.zen.dq.spamhaus.net. IN A 127.0.0.2
20.2.0.192.sekretdqskey0123456789.zen.dq.spamhaus.net. IN TXT "https://check.spamhaus.org/listed/?searchterm=192.0.2.20"
listed-sender.com.sekretdqskey0123456789.dbl.dq.spamhaus.net. IN A 127.0.1.2
listed-sender.com.         IN TXT "v=spf1 -all"
"""


def test_the_dqs_key_is_never_stored_shown_or_audited(client, org_a, staff, settings):
    from deliverability.accounts.models import AuditEvent
    from deliverability.senders.models import ListingPeriod, SenderChange, SenderCheck, SendingIp

    key = "sekretdqskey0123456789"
    with LoopbackDNS.from_text(DQS_ZONE) as server:
        settings.DNS_NAMESERVERS = [server.nameserver]
        settings.DNS_TIMEOUT = 3.0
        settings.SPAMHAUS_DQS_KEY = key
        settings.SENDER_DNSBL_ZONES = ["zen.spamhaus.org"]
        settings.SENDER_DOMAIN_BLOCKLISTS = ["dbl.spamhaus.org"]
        cache.clear()
        SenderProfile.objects.create(organization=org_a, esps=[])
        SendingDomain.objects.create(organization=org_a, name="listed-sender.com", role="from", selectors=[])
        SendingIp.objects.create(organization=org_a, address="192.0.2.20")
        client.force_login(staff)
        assert client.post(reverse("sender_check_now", args=[org_a.slug])).status_code == 302
    assert ListingPeriod.objects.filter(organization=org_a, subject="192.0.2.20").exists()  # the key was used
    stored = [str(c.result) + str(c.problems) for c in SenderCheck.objects.all()]
    stored += [f"{p.zone} {p.meaning}" for p in ListingPeriod.objects.all()]
    stored += [f"{c.code} {c.before} {c.after} {c.detail}" for c in SenderChange.objects.all()]
    stored += [f"{e.summary} {e.detail}" for e in AuditEvent.objects.all()]
    assert not any(key in text for text in stored)
    page = client.get(reverse("sender_health", args=[org_a.slug])).content.decode()
    assert key not in page and "zen.spamhaus.org (DQS)" in page
    assert key not in client.get(reverse("sender_settings", args=[org_a.slug])).content.decode()


@pytest.mark.parametrize("field,text", [("domains", "db.corp.internal from"), ("domains", "mail.local"),
                                        ("domains", "printer.lan both"), ("dnsbl_zones", "bl.corp.internal"),
                                        ("domain_blocklists", "dbl.example.test")])
def test_sender_settings_refuse_internal_names(client, org_a, manager_a, field, text):
    """An internal name's records would come from the agency's own resolver, and show on the client's page."""
    client.force_login(manager_a)
    data = {"domains": "", "ips": "", "dnsbl_zones": "", "domain_blocklists": "", field: text}
    response = client.post(reverse("sender_settings", args=[org_a.slug]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a public domain name" in html or "is not a DNS zone" in html
    assert not SendingDomain.objects.filter(organization=org_a).exists()
