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


def test_every_problem_code_has_words_and_a_catalan_reader_reads_them(client, org_a, viewer_a):
    """Each code of the sender checks' vocabulary has a sentence; a Catalan reader sees it translated, and
    the engine's English detail only behind the technical toggle."""
    from deliverability.dashboard.templatetags.sender_tags import PROBLEM_WORDS
    from deliverability.senders.checks import PROBLEM_CODES
    assert set(PROBLEM_CODES) <= set(PROBLEM_WORDS)
    SenderChange.objects.create(
        organization=org_a, subject_kind="domain", subject="news.acme.example", occurred_at=timezone.now(),
        kind="problem_new", code="dmarc_policy_none", detail="p=none: receivers only report")
    client.force_login(viewer_a)
    page = client.get(reverse("organization", args=[org_a.slug]), HTTP_ACCEPT_LANGUAGE="ca").content.decode()
    assert "The DMARC policy only monitors" not in page
    section = page.split('class="sender-news"')[1].split("</section>")[0]
    assert section.index("<details") < section.index("p=none: receivers only report")
