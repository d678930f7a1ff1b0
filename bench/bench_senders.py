"""Sender-check benchmark: sending domains and IPs checked against a local authoritative DNS server.

    .venv/bin/python bench/bench_senders.py [--domains 2000] [--ips 2000] [--runs 3] [--write]

What is measured (medians of --runs runs, each with a fresh SenderDns, i.e. an empty cache):
  baseline  dnspython's async resolver alone asking exactly the questions the checks asked
            (recorded in the same run), 20 in flight, no parsing
  domains   senders.checks.run_checks on N domains: SPF (a nested include with a and mx, the ESP's
            shared include), DKIM selectors s1 and s2 (2048-bit key on s1), DMARC, one domain list
  ips       run_checks on N IPs: PTR + forward A, three IP blocklists (1% listed)
The DNS server is the project's loopback server in two separate processes sharing the port
(bench_enrich.DnsServers), so it does not share the interpreter with the code measured. Blocklist
pacing is off here (zone_rate 0): the figures are the engine's, not the politeness delay's.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench_enrich import DnsServers  # noqa: E402
from machine import describe  # noqa: E402

from deliverability.domains.resolver import ResolverConfig  # noqa: E402
from deliverability.senders import dnsbl  # noqa: E402
from deliverability.senders.checks import DomainTarget, check_all  # noqa: E402
from deliverability.senders.lookup import SenderDns  # noqa: E402

KEY = ("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx" + "A" * 300 + "IDAQAB")  # structure only is read


def build_zone(domains: int, ips: int) -> str:
    lines = [". 300 IN SOA ns.loopback. hostmaster.loopback. 1 3600 600 86400 300",
             'sendgrid.net. 3600 IN TXT "v=spf1 ip4:167.89.0.0/17 -all"']
    for i in range(domains):
        d = f"sender{i:05d}.com"
        lines += [f'{d}. 3600 IN TXT "v=spf1 include:_spf.{d} include:sendgrid.net ~all"',
                  f'_spf.{d}. 3600 IN TXT "v=spf1 a mx ip4:192.0.2.0/24 -all"',
                  f"_spf.{d}. 3600 IN A 192.0.2.{i % 250 + 1}",
                  f"_spf.{d}. 3600 IN MX 10 mx.{d}.",
                  f'_dmarc.{d}. 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{d}"',
                  f's1._domainkey.{d}. 3600 IN TXT "v=DKIM1; k=rsa; p={KEY[:200]}" "{KEY[200:]}"']
    for i in range(ips):
        a, b = divmod(i, 250)
        ip = f"198.18.{a}.{b + 1}"
        rev = f"{b + 1}.{a}.18.198"
        lines += [f"{rev}.in-addr.arpa. 3600 IN PTR o{i}.mail.example-sender.com.",
                  f"o{i}.mail.example-sender.com. 3600 IN A {ip}"]
        if i % 100 == 0:
            lines.append(f"{rev}.zen.spamhaus.org. 3600 IN A 127.0.0.2")
    return "\n".join(lines) + "\n"


class RecordingDns(SenderDns):
    asked: list[tuple[str, str]]

    async def _ask(self, name, rdtype):
        self.asked.append((name, rdtype))
        return await super()._ask(name, rdtype)


def run_engine(config, targets, ips, zones, domain_zones) -> tuple[float, float, list]:
    async def go():
        dns_ = RecordingDns(config, zone_rate=0)
        dns_.asked = []
        await check_all(dns_, targets, ips, zones, domain_zones)
        return dns_.asked
    started, cpu = time.perf_counter(), time.process_time()
    asked = asyncio.run(go())
    return time.perf_counter() - started, time.process_time() - cpu, asked


def raw_dnspython(questions, nameserver: str, concurrency: int = 20) -> tuple[float, float]:
    import dns.asyncresolver
    import dns.nameserver
    import dns.resolver

    host, port = nameserver.split(":")
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(host, int(port))]
    resolver.cache = None
    resolver.lifetime = 5

    async def run():
        it = iter(questions)

        async def worker():
            for name, rdtype in it:
                with contextlib.suppress(dns.resolver.NXDOMAIN):
                    await resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(run())
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--ips", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    with tempfile.NamedTemporaryFile("w", suffix=".zone", delete=False) as handle:
        handle.write(build_zone(args.domains, args.ips))
        zone_file = Path(handle.name)
    servers = DnsServers(zone_file)
    try:
        config = ResolverConfig(nameservers=(servers.nameserver,), timeout=5, lifetime=5)
        targets = [DomainTarget(f"sender{i:05d}.com", ["s1", "s2"], ["sendgrid"]) for i in range(args.domains)]
        ips = [f"198.18.{i // 250}.{i % 250 + 1}" for i in range(args.ips)]
        zones = dnsbl.make_zones(dnsbl.DEFAULT_IP_ZONES)
        domain_zones = dnsbl.make_zones(dnsbl.DEFAULT_DOMAIN_ZONES, domains=True)
        rows = {"baseline (domain questions)": [], "domains": [], "baseline (IP questions)": [], "ips": []}
        cpu = {key: [] for key in rows}
        asked_domains = asked_ips = []
        for _ in range(args.runs):
            wall, used, asked_domains = run_engine(config, targets, [], [], domain_zones)
            rows["domains"].append(wall)
            cpu["domains"].append(used)
            wall, used = raw_dnspython(asked_domains, servers.nameserver)
            rows["baseline (domain questions)"].append(wall)
            cpu["baseline (domain questions)"].append(used)
            wall, used, asked_ips = run_engine(config, [], ips, zones, [])
            rows["ips"].append(wall)
            cpu["ips"].append(used)
            wall, used = raw_dnspython(asked_ips, servers.nameserver)
            rows["baseline (IP questions)"].append(wall)
            cpu["baseline (IP questions)"].append(used)
    finally:
        servers.stop()
        os.unlink(zone_file)

    load = os.getloadavg()
    counts = {"baseline (domain questions)": (len(asked_domains), "questions"), "domains": (args.domains, "domains"),
              "baseline (IP questions)": (len(asked_ips), "questions"), "ips": (args.ips, "IPs")}
    out = [f"## Sender checks ({datetime.now(UTC):%Y-%m-%d}, issue 22)", "",
           f"`bench/bench_senders.py --domains {args.domains} --ips {args.ips} --runs {args.runs}`. Machine: {describe()}. "
           f"Load average at the end {load[0]:.1f} / {load[1]:.1f} (1 / 5 min): other engineers' work shares the 2 cores.",
           f"Questions per domain {len(asked_domains) / args.domains:.1f}, per IP {len(asked_ips) / args.ips:.1f} "
           "(in-run cache: the ESP's shared include is asked once).", "",
           "| what | median | runs (s) | client CPU per item |", "|---|---|---|---|"]
    for key, walls in rows.items():
        n, unit = counts[key]
        median = statistics.median(walls)
        out.append(f"| {key} | {n / median:,.0f} {unit}/s | {', '.join(f'{w:.2f}' for w in walls)} | "
                   f"{statistics.median(cpu[key]) / n * 1e6:,.0f} µs |")
    text = "\n".join(out) + "\n"
    print(text)
    if args.write:
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
