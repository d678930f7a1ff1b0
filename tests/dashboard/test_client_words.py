"""Issue 19 items 9-10: client pages speak plainly (engine codes only behind the technical-detail
toggle) and explain an answering vendor that differs from the domain's MX vendor."""
from __future__ import annotations

from django.urls import reverse

from deliverability.campaigns.models import Campaign
from deliverability.domains.models import Domain
from deliverability.verdicts.models import RecipientVerdict
from tests.factories import make_membership, make_user

from .test_weekly_story import org  # noqa: F401 - the demo organisation, imported and analysed


def _viewer(client, organisation):
    viewer = make_user("client-viewer")
    make_membership(viewer, organisation, "viewer")
    client.force_login(viewer)


def test_the_recipient_page_keeps_engine_codes_behind_the_toggle(org, client):  # noqa: F811
    _viewer(client, org)
    row = RecipientVerdict.objects.filter(organization=org, domain="corvid-engineering.com").first()
    page = client.get(reverse("campaign_recipient", args=[org.slug, row.campaign_id, row.recipient_id])).content.decode()
    plain, _, technical = page.partition('<details class="technical" id="technical-detail">')
    assert technical, "the technical detail is there, behind a toggle"
    for code in ("claim_", "reputation_block", "names_sender_problem", "ESP label"):
        assert code not in plain, code
    assert "claim_reputation_block" in technical and "reputation_block" in technical
    assert "refused the sending IP or domain because of its reputation" in plain
    assert "no hard/soft label in the file; a hard bounce by its 5xx reply (our reading)" in plain


def test_an_answering_vendor_other_than_the_mx_vendor_is_explained(org, client):  # noqa: F811
    _viewer(client, org)
    rows = [r for r in RecipientVerdict.objects.filter(organization=org).exclude(vendor="")
            if (d := Domain.objects.filter(name=r.domain).first()) and d.vendor_id and d.vendor_id != r.vendor]
    assert rows, "the demo has a domain answered by another vendor than its MX names"
    row = rows[0]
    page = client.get(reverse("campaign_recipient", args=[org.slug, row.campaign_id, row.recipient_id])).content.decode()
    assert 'id="mx-vendor"' in page and "the reply came from" in page
    same = RecipientVerdict.objects.filter(organization=org, domain="northwind-freight.com").first()
    page = client.get(reverse("campaign_recipient", args=[org.slug, same.campaign_id, same.recipient_id])).content.decode()
    assert 'id="mx-vendor"' not in page  # Proofpoint answered for a Proofpoint MX: nothing to explain


def test_the_vendor_page_says_what_replies_mean_and_keeps_codes_in_the_detail(org, client):  # noqa: F811
    _viewer(client, org)
    page = client.get(reverse("org_vendor", args=[org.slug, "barracuda"])).content.decode()
    plain, _, technical = page.partition('<details class="technical" id="technical-detail">')
    assert "because of its reputation" in plain and "reputation_block" not in plain
    assert "reputation_block" in technical
    assert Campaign.objects.filter(organization=org).exists()


def test_the_organisation_vendor_table_has_a_temporary_column(org, client):  # noqa: F811
    _viewer(client, org)
    page = client.get(reverse("organization", args=[org.slug])).content.decode()
    head = page.split('<h2>Vendors that refused mail', 1)[1].split("</thead>", 1)[0]
    assert '<th class="num">Sender issue</th><th class="num">Temporary</th>' in head


def test_viewers_see_failed_and_empty_uploads_only_when_shared(db, client):
    """GIVEN a done upload with events, a failed one and one that imported nothing
    THEN a viewer's recent uploads list only the first until a manager shares the others."""
    from deliverability.campaigns.models import Upload
    from tests.factories import make_org

    organisation = make_org("Acme Industrial", "acme")
    kinds = {"good.csv": (Upload.Status.DONE, {"events": 40}), "broken.csv": (Upload.Status.FAILED, {}),
             "empty.csv": (Upload.Status.DONE, {"events": 0})}
    uploads = {name: Upload.objects.create(organization=organisation, original_name=name, sha256=name[0] * 64,
                                           file="uploads/none", status=status, summary=summary)
               for name, (status, summary) in kinds.items()}
    manager = make_user("manager")
    make_membership(manager, organisation, "manager")
    _viewer(client, organisation)
    url = reverse("organization", args=[organisation.slug])
    page = client.get(url).content.decode()
    assert "good.csv" in page and "broken.csv" not in page and "empty.csv" not in page
    assert client.post(reverse("upload_share", args=[organisation.slug, uploads["broken.csv"].pk]),
                       {"share": "1"}).status_code == 403  # a viewer cannot share
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert "broken.csv" in page and "empty.csv" in page and "no (failed or empty)" in page
    client.post(reverse("upload_share", args=[organisation.slug, uploads["broken.csv"].pk]), {"share": "1"})
    _viewer_again = make_user("client-viewer-2")
    make_membership(_viewer_again, organisation, "viewer")
    client.force_login(_viewer_again)
    page = client.get(url).content.decode()
    assert "broken.csv" in page and "empty.csv" not in page


def test_the_campaign_figures_say_whose_hard_soft_split_they_show(org, client):  # noqa: F811
    _viewer(client, org)
    november = Campaign.objects.get(organization=org, name="November product update")
    page = client.get(reverse("campaign", args=[org.slug, november.pk])).content.decode()
    assert "Hard bounces (by 5xx reply: no ESP label)" in page  # the demo file carries no hard/soft label
    assert "as your ESP reported them" not in page and "so we read the reply codes" in page
