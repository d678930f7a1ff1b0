"""The organisation page's sender-health summary says what a new problem is, not only its code
(fresh-eyes review, 5 Dec 2026: a client read "new problem dmarc_no_reports" and nothing more)."""
from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from deliverability.senders.models import SenderChange


def test_a_new_problem_on_the_organisation_page_carries_its_explanation(client, org_a, viewer_a):
    SenderChange.objects.create(
        organization=org_a, subject_kind="domain", subject="news.acme.example", occurred_at=timezone.now(),
        kind="problem_new", code="dmarc_no_reports",
        detail="no rua= address: nobody receives the <aggregate> reports")
    client.force_login(viewer_a)
    page = client.get(reverse("organization", args=[org_a.slug])).content.decode()
    assert "dmarc_no_reports" in page
    assert "nobody receives the &lt;aggregate&gt; reports" in page  # the check's evidence, escaped
