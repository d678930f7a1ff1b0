"""`manage.py sender_check DOMAIN… [--ip IP…] [--selector S…] [--dnsbl ZONE…] [--nameserver HOST:PORT] --json`

Checks sending domains (SPF, DKIM, DMARC, domain blocklists) and sending IPs (PTR/FCrDNS, IP
blocklists) and prints, with --json, one JSON object per line: each domain, then each IP. Exit 0
whenever the checks ran, whatever they found; non-zero only for bad arguments.

--selector replaces the suggested selectors; --dnsbl ZONE asks `<reversed IP>.ZONE` exactly as given
and --dbl ZONE `<domain>.ZONE`; blocklists named on the command line replace the configured ones
(with --dnsbl alone, no domain list is asked). Without either, the configured zones are asked,
Spamhaus ones through SPAMHAUS_DQS_KEY when set.
"""
from __future__ import annotations

import ipaddress
import json

from django.core.management.base import BaseCommand, CommandError

from deliverability.domains.names import InvalidDomain, normalize_domain
from deliverability.env import ConfigError, parse_hostport
from deliverability.senders import conf, dnsbl
from deliverability.senders.checks import DomainTarget, run_checks
from deliverability.senders.esps import ESPS, esp_for


class Command(BaseCommand):
    help = "Check sending domains (SPF, DKIM, DMARC) and sending IPs (PTR, blocklists)."

    def add_arguments(self, parser):
        parser.add_argument("domains", nargs="*", metavar="DOMAIN")
        parser.add_argument("--ip", action="append", default=[], metavar="IP", help="a sending IP (repeat for several)")
        parser.add_argument("--selector", action="append", default=None, metavar="S",
                            help="a DKIM selector (repeat; replaces the suggested selectors)")
        parser.add_argument("--dnsbl", action="append", default=None, metavar="ZONE",
                            help="an IP blocklist zone, asked exactly as given (repeat)")
        parser.add_argument("--dbl", action="append", default=None, metavar="ZONE",
                            help="a domain blocklist zone, asked exactly as given (repeat)")
        parser.add_argument("--esp", action="append", default=[], metavar="ESP",
                            help=f"the sending platform (repeat): {', '.join(sorted(ESPS))}")
        parser.add_argument("--return-path", action="append", default=[], metavar="DOMAIN",
                            help="the bounce (Return-Path) domain, for the DMARC alignment check (repeat)")
        parser.add_argument("--nameserver", action="append", default=None, metavar="HOST:PORT",
                            help="ask this DNS server instead of DNS_NAMESERVERS")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, domains, ip, selector, dnsbl: list | None, dbl, esp, return_path, nameserver, json: bool,
               **options):
        if not domains and not ip:
            raise CommandError("name at least one DOMAIN or --ip IP")
        names = [self._domain(d) for d in domains]
        ips = [self._ip(a) for a in ip]
        selectors = [self._selector(s) for s in selector] if selector is not None else None
        esp_ids = []
        for name in esp:
            found = esp_for(name)
            if found is None:
                raise CommandError(f"--esp {name!r}: unknown platform (known: {', '.join(sorted(ESPS))})")
            esp_ids.append(found.id)
        return_paths = [self._domain(d) for d in return_path]
        servers = None
        if nameserver is not None:
            servers = []
            for text in nameserver:
                try:
                    host, port = parse_hostport(text)
                except ConfigError as exc:
                    raise CommandError(f"--nameserver {text!r}: {exc}") from None
                servers.append(f"{host}:{port}")
        ip_zones = (self._zones(dnsbl, "--dnsbl") if dnsbl is not None else conf.ip_zones())
        # Blocklists named on the command line replace the configured ones, domain lists included: with
        # --dnsbl and no --dbl, no domain list is asked.
        if dbl is not None:
            domain_zones = self._zones(dbl, "--dbl", domains=True)
        else:
            domain_zones = [] if dnsbl is not None else conf.domain_zones()
        targets = [DomainTarget(n, selectors, esp_ids, return_paths) for n in names]
        domain_reports, ip_reports = run_checks(targets, ips, ip_zones, domain_zones,
                                                config=conf.dns_config(servers), zone_rate=conf.zone_rate())
        for report in [*domain_reports, *ip_reports]:
            data = report.as_dict()
            if json:
                self.stdout.write(_dumps(data))
            else:
                self._human(data)

    def _human(self, data: dict) -> None:
        subject = data.get("domain") or data.get("ip")
        self.stdout.write(f"{subject}: {', '.join(data['problems']) or 'no problems found'}")
        for finding in data["findings"]:
            self.stdout.write(f"  [{finding['severity']}] {finding['code']}: {finding['detail']}")
        unknown = [*data.get("spf", {}).get("unknown", []), *data.get("dmarc", {}).get("unknown", []),
                   *data.get("ptr", {}).get("unknown", [])]
        for reason in unknown:
            self.stdout.write(f"  [unknown] {reason}")

    @staticmethod
    def _domain(text: str) -> str:
        try:
            return normalize_domain(text)
        except InvalidDomain as exc:
            raise CommandError(f"{text!r} is not a domain name: {exc}") from None

    @staticmethod
    def _ip(text: str) -> str:
        try:
            return str(ipaddress.ip_address(text.strip()))
        except ValueError:
            raise CommandError(f"--ip {text!r} is not an IPv4 or IPv6 address") from None

    @staticmethod
    def _selector(text: str) -> str:
        value = text.strip().lower().rstrip(".")
        try:
            normalize_domain(f"{value}._domainkey.example.com")
        except InvalidDomain:
            value = ""
        if not value:
            raise CommandError(f"--selector {text!r} is not a DKIM selector")
        return value

    def _zones(self, names: list[str], flag: str, domains: bool = False) -> list[dnsbl.Zone]:
        for name in names:
            try:
                normalize_domain(name)
            except InvalidDomain:
                raise CommandError(f"{flag} {name!r} is not a DNS zone") from None
        return dnsbl.make_zones(names, domains=domains, rewrite=False)


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False)
