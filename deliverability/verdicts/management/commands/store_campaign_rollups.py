"""Fill the stored pages' data of campaigns judged before it existed, without judging them again: the vendor
page's rollups (from the stored verdicts and domain rows) and the un-suppression plan (computed from the
events and verdicts, as the analysis does). Idempotent; by default only campaigns missing either.

    manage.py store_campaign_rollups [--org SLUG] [--all]
"""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Campaign
from deliverability.verdicts.models import CampaignDiagnosis, CampaignSignatureStat, CampaignVendorStat
from deliverability.verdicts.recovery import store_plan
from deliverability.verdicts.services import store_vendor_rollups


class Command(BaseCommand):
    help = "Store the vendor rollups and un-suppression plans of campaigns judged before they existed."

    def add_arguments(self, parser):
        parser.add_argument("--org", default="", help="one organisation's slug (default: every organisation)")
        parser.add_argument("--all", action="store_true", help="every judged campaign, not only those missing data")

    def handle(self, *args, org: str, all: bool, **options):
        campaigns = Campaign.objects.filter(pk__in=CampaignDiagnosis.objects.values("campaign_id")).order_by("pk")
        if org:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"no organisation {org!r}")
            campaigns = campaigns.filter(organization=organization)
        if not all:
            have_rollups = CampaignVendorStat.objects.values("campaign_id").union(
                CampaignSignatureStat.objects.values("campaign_id"))
            campaigns = campaigns.exclude(pk__in=have_rollups, recovery__isnull=False)
        started = time.perf_counter()
        done = 0
        for campaign_id in list(campaigns.values_list("pk", flat=True)):
            begun = time.perf_counter()
            with transaction.atomic():
                # The analysis's lock: a judgement running now finishes first, or waits for this one.
                campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
                if campaign is None:
                    continue
                store_vendor_rollups(campaign.pk)
                store_plan(campaign)
            done += 1
            self.stderr.write(f"campaign {campaign_id}: {time.perf_counter() - begun:.1f} s")
        self.stdout.write(f"{done} campaign(s) stored in {time.perf_counter() - started:.1f} s")
