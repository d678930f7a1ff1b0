"""Retention: old campaigns lose their events and per-address verdicts; their figures stay; nothing
recent is touched."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from deliverability.accounts.models import AuditEvent
from deliverability.campaigns.models import Campaign, Event, Recipient
from deliverability.verdicts.models import CampaignDiagnosis, CampaignDomainStat, CampaignTimeline, RecipientVerdict
from deliverability.verdicts.retention import purge_organization
from deliverability.verdicts.services import judge_campaign
from deliverability.verdicts.tasks import purge_expired_events
from tests.portal_data import import_campaign, recent


def _setup(org, tmp_path, days=90):
    import_campaign(org, tmp_path, "Spring newsletter", recent(200), prefix="old")
    import_campaign(org, tmp_path, "Autumn newsletter", recent(5), prefix="new")
    org.retention_days = days
    org.save()
    return Campaign.objects.get(organization=org, name="Spring newsletter"), Campaign.objects.get(
        organization=org, name="Autumn newsletter")


def test_retention_deletes_only_old_events_and_keeps_the_figures(org_a, org_b, tmp_path):
    old, new = _setup(org_a, tmp_path)
    import_campaign(org_b, tmp_path, "Borealis spring", recent(200), prefix="bor")  # no retention set
    new_events = Event.objects.filter(campaign=new).count()
    new_verdicts = RecipientVerdict.objects.filter(campaign=new).count()
    figures = CampaignDiagnosis.objects.get(campaign=old)
    domains = CampaignDomainStat.objects.filter(campaign=old).count()
    timeline = CampaignTimeline.objects.filter(campaign=old).count()
    assert Event.objects.filter(campaign=old).exists() and domains and timeline

    result = purge_organization(org_a)

    assert result.campaigns == 1 and result.events > 0
    assert not Event.objects.filter(campaign=old).exists()
    assert not RecipientVerdict.objects.filter(campaign=old).exists()
    assert Event.objects.filter(campaign=new).count() == new_events
    assert RecipientVerdict.objects.filter(campaign=new).count() == new_verdicts
    kept = CampaignDiagnosis.objects.get(campaign=old)
    assert (kept.recipients, kept.bounced, kept.by_verdict, kept.headline) == (
        figures.recipients, figures.bounced, figures.by_verdict, figures.headline)
    assert kept.data["events_purged_at"]
    assert CampaignDomainStat.objects.filter(campaign=old).count() == domains
    assert CampaignTimeline.objects.filter(campaign=old).count() == timeline
    # Every address still in the new campaign stays; none is left without data.
    assert not Recipient.objects.filter(organization=org_a).exclude(events__isnull=False).exists()
    assert Event.objects.filter(organization=org_b).exists()  # other organisations untouched
    assert AuditEvent.objects.filter(action="retention", organization=org_a).exists()


def test_a_recomputation_after_the_purge_keeps_the_figures(org_a, tmp_path):
    old, _ = _setup(org_a, tmp_path)
    before = CampaignDiagnosis.objects.get(campaign=old).recipients
    purge_organization(org_a)
    judge_campaign(old.pk)
    assert CampaignDiagnosis.objects.get(campaign=old).recipients == before
    assert CampaignDomainStat.objects.filter(campaign=old).exists()


def test_purging_twice_is_harmless_and_nothing_expires_early(org_a, tmp_path):
    old, new = _setup(org_a, tmp_path, days=300)
    assert purge_organization(org_a).events == 0  # 200 days old is within 300
    org_a.retention_days = 90
    org_a.save()
    assert purge_organization(org_a).events > 0
    assert purge_organization(org_a).events == 0
    assert AuditEvent.objects.filter(action="retention").count() == 1


def test_the_scheduled_task_covers_every_organisation_with_a_period(org_a, org_b, tmp_path):
    _setup(org_a, tmp_path)
    import_campaign(org_b, tmp_path, "Borealis spring", recent(200), prefix="bor")
    done = purge_expired_events.apply().get()
    assert set(done) == {org_a.slug} and done[org_a.slug]["events"] > 0
    assert Event.objects.filter(organization=org_b).exists()


def test_an_undated_campaign_counts_from_its_creation(org_a, tmp_path):
    old, _ = _setup(org_a, tmp_path)
    Campaign.objects.filter(pk=old.pk).update(sent_at=None, created_at=timezone.now() - timedelta(days=1))
    assert purge_organization(org_a).events == 0
