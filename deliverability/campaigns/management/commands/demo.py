"""`make run`: the demo on the embedded defaults, offline.

Starts the project's loopback DNS server with the demo zones and points enrichment at it,
creates the demo login and data when missing, prints the login, then serves the site.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from deliverability.accounts.models import Membership, Organization
from deliverability.devtools.loopback_dns import DEMO_ZONES, demo_server
from deliverability.senders.demo import setup_demo_senders

STAFF = ("demo", "demo-review-2026")
CLIENT = ("client", "client-review-2026")


class Command(BaseCommand):
    help = "Run the demo: loopback DNS for the demo domains, demo data and logins, and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--dns-port", type=int, default=5354)
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")

    def handle(self, *args, dns_port: int, addrport: str, no_serve: bool, **options):
        # `make run` prepares var/ and the database first; run on its own from a fresh clone, the demo does too.
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0)
        # The demo's DNS knows the demo's domains only. A user trying the demo on their own export names real
        # domains it cannot know: those are refused (the enrichment says "unresolved", the verdicts say the DNS
        # check is missing) rather than answered NXDOMAIN, which would judge every such address invalid.
        dns = demo_server(port=dns_port).start()
        settings.DNS_NAMESERVERS = [dns.nameserver]
        self.stdout.write(f"Demo DNS answering on {dns.nameserver} (zones: {DEMO_ZONES.name}; other domains are "
                          "refused: offline, the demo cannot look them up, and shows them as unresolved)")
        try:
            call_command("generate_demo", org="demo-client", stdout=self.stdout)
            org = Organization.objects.get(slug="demo-client")
            checked = setup_demo_senders(org)  # sender health: the demo's sending domain and IPs
            if checked:
                self.stdout.write(f"Sender health: {checked} domains and IPs checked")
            self._user(*STAFF, is_staff=True, superuser=True)
            client = self._user(*CLIENT)
            Membership.objects.get_or_create(user=client, organization=org, defaults={"role": "viewer"})
            self.stdout.write(self.style.SUCCESS(
                f"\n  Open http://{addrport}/\n"
                f"  Agency staff login:  {STAFF[0]} / {STAFF[1]}\n"
                f"  Client viewer login: {CLIENT[0]} / {CLIENT[1]}\n"
                f"  Emails (invitations, password resets, digests) are printed here, not sent.\n"
            ))
            if not no_serve:
                call_command("runserver", addrport, use_reloader=False)
        finally:
            dns.stop()

    @staticmethod
    def _user(username: str, password: str, is_staff: bool = False, superuser: bool = False):
        user, created = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": is_staff})
        if created:
            user.set_password(password)
            user.is_superuser = superuser
            user.save()
        return user
