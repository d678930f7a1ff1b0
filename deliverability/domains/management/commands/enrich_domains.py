"""python manage.py enrich_domains DOMAIN … [--nameserver HOST:PORT …] [--json] [--refresh]

`-` reads domains (or addresses) from standard input, one per line. With --json, standard output
carries only one JSON object per domain; progress and logs go to standard error.
"""
from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from deliverability.domains.models import Domain
from deliverability.domains.names import InvalidDomain, normalize_domain
from deliverability.domains.services import domain_as_json, enrich_domains


class Command(BaseCommand):
    stealth_options = ("stdin",)  # call_command(..., stdin=io.StringIO(...)) in tests
    help = "Resolve MX, fingerprint the filter vendor and classify the kind of the given domains."

    def add_arguments(self, parser) -> None:
        parser.add_argument("domains", nargs="+", help="domains or addresses; '-' reads them from stdin")
        parser.add_argument("--nameserver", action="append", default=None, metavar="HOST:PORT",
                            help="ask this server (repeatable); default: settings.DNS_NAMESERVERS or the system")
        parser.add_argument("--json", action="store_true", help="one JSON object per domain on stdout")
        parser.add_argument("--refresh", action="store_true", help="re-resolve domains whose answer is still fresh")

    def handle(self, *args, **options) -> None:
        names = self._names(options["domains"], options.get("stdin") or sys.stdin)
        if not names:
            raise CommandError("no domains given")
        err = self.stderr

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // total
            err.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
            err.flush()

        summary = enrich_domains(names, nameservers=options["nameserver"], refresh=options["refresh"],
                                 on_progress=progress)
        if summary.resolved:
            err.write("")
        for bad in summary.invalid:
            err.write(f"skipped invalid domain: {bad!r}")
        if summary.resolver_unreachable:
            err.write("The DNS resolver answered nothing: the remaining domains were not queried (marked timeout). "
                      "Check DNS_NAMESERVERS or --nameserver.")
        err.write(
            f"{summary.resolved} resolved, {summary.unresolved} unresolved, {summary.skipped_fresh} fresh (not asked again), "
            f"{summary.changed} changed, {summary.elapsed:.2f} s; " +
            ", ".join(f"{k} {v}" for k, v in sorted(summary.by_status.items()))
        )

        ordered = []
        for raw in names:
            try:
                ordered.append(normalize_domain(raw))
            except InvalidDomain:
                continue
        rows = {d.name: d for d in Domain.objects.filter(name__in=set(ordered))}
        printed: set[str] = set()
        for name in ordered:
            if name in printed or name not in rows:
                continue
            printed.add(name)
            data = domain_as_json(rows[name])
            if options["json"]:
                self.stdout.write(json.dumps(data, ensure_ascii=False))
            else:
                vendors = ", ".join(data["vendors"]) or "-"
                provider = f" (mailbox: {data['provider']})" if data["provider"] and data["provider"] != data["vendor_id"] else ""
                self.stdout.write(
                    f"{name:40} {data['kind'] or '-':10} {data['mx_status']:16} {vendors}{provider}"
                )

    def _names(self, items: list[str], stdin) -> list[str]:
        names: list[str] = []
        for item in items:
            if item == "-":
                names.extend(line.strip() for line in stdin if line.strip() and not line.startswith("#"))
            else:
                names.append(item)
        # addresses are welcome too: keep the part after the last "@"
        return [n.rpartition("@")[2] for n in names]
