"""The permission matrix: every URL pattern × {anonymous, staff, manager A, viewer A, viewer B}.

URLs are enumerated from the resolver, so a page added later is covered (or this test fails
until it declares its access and the kwargs it takes have a value below).
"""
from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from deliverability.accounts.tenancy import Access
from deliverability.campaigns.models import Recipient, Upload
from deliverability.domains.models import Domain
from deliverability.verdicts.models import CampaignDiagnosis, CampaignDomainStat, CampaignNote, RecipientVerdict
from deliverability.verdicts.services import store_vendor_rollups
from tests.factories import PASSWORD, make_campaign, make_membership, make_org, make_user

USERS = ["anonymous", "staff", "manager_a", "viewer_a", "viewer_b"]


def _walk(patterns, namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin has its own staff check, tested below
            yield from _walk(entry.url_patterns, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


ROUTES = sorted(_walk(get_resolver().url_patterns), key=lambda item: item[0])
# Query parameters that change what a page reads (a filter on another table): each is checked like the bare URL.
QUERIES = {"campaign": ["?answered_by=proofpoint"]}  # the vendor page's campaign links
VARIANTS = [(name, pattern, query) for name, pattern in ROUTES for query in ["", *QUERIES.get(name, [])]]


@pytest.fixture
def world(db):
    """Org A with a manager, a viewer, a campaign and an upload; org B with a viewer; one staff user."""
    org_a, org_b = make_org("Acme Industrial", "acme"), make_org("Borealis Foods", "borealis")
    users = {"staff": make_user("staff", is_staff=True)}
    users["manager_a"] = make_user("manager-a")
    make_membership(users["manager_a"], org_a, "manager")
    users["viewer_a"] = make_user("viewer-a")
    make_membership(users["viewer_a"], org_a, "viewer")
    users["viewer_b"] = make_user("viewer-b")
    make_membership(users["viewer_b"], org_b, "viewer")
    campaign = make_campaign(org_a, "Q4 newsletter")
    upload = Upload.objects.create(organization=org_a, campaign=campaign, original_name="a.csv", sha256="a" * 64,
                                   file="uploads/none", status=Upload.Status.DONE)
    # A bounced recipient with its verdict and the campaign's rollups (for the dashboard pages).
    recipient = Recipient.objects.create(organization=org_a, email="jane@northwind-freight.com",
                                         domain="northwind-freight.com")
    Domain.objects.create(name="northwind-freight.com", kind="corporate", vendor_id="proofpoint")
    RecipientVerdict.objects.create(organization=org_a, campaign=campaign, recipient=recipient, email=recipient.email,
                                    domain=recipient.domain, outcome="bounce", vendor="proofpoint",
                                    computed_verdict="filter_rejection", verdict="filter_rejection", confidence=0.8)
    CampaignDomainStat.objects.create(campaign=campaign, domain=recipient.domain, kind="corporate", vendor="proofpoint",
                                      recipients=1, bounced=1, filter_rejection=1)
    CampaignDiagnosis.objects.create(campaign=campaign, recipients=1, bounced=1, by_verdict={"filter_rejection": 1},
                                     by_vendor={"Proofpoint": {"vendor_id": "proofpoint", "bounced": 1, "recipients": 1,
                                                               "by_verdict": {"filter_rejection": 1}}})
    store_vendor_rollups(campaign.pk)  # the vendor page's rollups, as the analysis builds them from the rows above
    note = CampaignNote.objects.create(campaign=campaign, body="Most refusals came from one gateway.")
    return {"org_a": org_a, "org_b": org_b, "users": users, "campaign": campaign, "upload": upload,
            "recipient": recipient, "note": note}


# Values for every URL keyword argument, taken from the world (objects of organisation A).
KWARGS = {
    "org_slug": lambda w: w["org_a"].slug,
    "campaign_id": lambda w: w["campaign"].pk,
    "upload_id": lambda w: w["upload"].pk,
    "recipient_id": lambda w: w["recipient"].pk,
    "domain": lambda w: w["recipient"].domain,
    "vendor_id": lambda w: "proofpoint",
    "week": lambda w: "2026-11-02",  # a Monday in the past (weekly review)
    "note_id": lambda w: w["note"].pk,
    "token": lambda w: "not-a-valid-token",  # invitation and password-reset links (public pages)
    "uidb64": lambda w: "MQ",
    "esp": lambda w: "sendgrid",  # the ESP hook: public, and 404 for a token that names no endpoint
    "endpoint_id": lambda w: _webhook_endpoint(w["org_a"]).pk,
}


def _webhook_endpoint(org):
    from deliverability.webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.get_or_create(organization=org, esp="postmark", name="main",
                                                 defaults={"basic_user": "pm", "basic_password": "pw"})[0]


def _url(name: str, pattern: URLPattern, world) -> str:
    keys = list(pattern.pattern.converters)
    missing = [k for k in keys if k not in KWARGS]
    assert not missing, f"URL {name} takes {missing}: add a value to KWARGS in this test"
    return reverse(name, kwargs={k: KWARGS[k](world) for k in keys})


def _access(pattern: URLPattern) -> Access:
    access = getattr(pattern.callback, "access", None)
    assert access is not None, f"view of {pattern.name} declares no access (use org_view, staff_view, login_view or declare)"
    return Access(access)


def _request(client, url):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("name,pattern,query", VARIANTS, ids=[name + query for name, _, query in VARIANTS])
def test_permission_matrix(client, world, name, pattern, query, who):
    access = _access(pattern)
    url = _url(name, pattern, world) + query
    if who != "anonymous":
        client.force_login(world["users"][who])
    response = _request(client, url)
    status = response.status_code

    if access is Access.PUBLIC:
        assert status < 500
        return
    if who == "anonymous":
        assert status == 302 and reverse("login") in response["Location"], f"{url}: anonymous got {status}"
        return
    if access is Access.LOGIN:
        assert status in (200, 302)
    elif access is Access.STAFF:
        assert status == (200 if who == "staff" else 404)
    elif who == "viewer_b":
        assert status == 404, f"{url}: another tenant must get 404, got {status}"
    elif access is Access.VIEW:
        assert status in (200, 302)
    elif access is Access.MANAGE:
        if who == "viewer_a":
            assert status == 403, f"{url}: a viewer must get 403 on a manager action, got {status}"
        else:
            assert status in (200, 302)


# URL values that name no object of an organisation (a week is every organisation's week).
NOT_OBJECTS = {"org_slug", "week"}


@pytest.mark.parametrize("name,pattern,query", [r for r in VARIANTS if "org_slug" in r[1].pattern.converters
                                                and set(r[1].pattern.converters) - NOT_OBJECTS],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_objects_of_another_organization_are_404_even_through_own_slug(client, world, name, pattern, query):
    """GIVEN a manager of org B WHEN they ask for org A's object under org B's slug THEN 404."""
    manager_b = make_user("manager-b")
    make_membership(manager_b, world["org_b"], "manager")
    client.force_login(manager_b)
    kwargs = {k: KWARGS[k](world) for k in pattern.pattern.converters}
    kwargs["org_slug"] = world["org_b"].slug
    response = _request(client, reverse(name, kwargs=kwargs) + query)
    assert response.status_code == 404


def test_admin_is_for_staff_only(client, world):
    client.force_login(world["users"]["manager_a"])
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(world["users"]["staff"])
    world["users"]["staff"].is_superuser = True
    world["users"]["staff"].save()
    assert client.get(reverse("admin:index")).status_code == 200


def test_login_page_signs_in(client, world):
    response = client.post(reverse("login"), {"username": "viewer-a", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # a single-organisation viewer goes to their organisation
