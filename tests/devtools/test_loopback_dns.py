"""The loopback server itself: real DNS over UDP and TCP."""
import socket
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from deliverability.devtools.loopback_dns import LoopbackDNS

ZONES = """
.                 300 IN SOA ns.loopback. hostmaster.loopback. 1 3600 600 86400 300
a.example.        IN MX 10 mx.a.example.
mx.a.example.     IN A 192.0.2.1
deep.b.example.   IN A 192.0.2.2
;@flap a.example. MX 20 mx.other.example.
"""


def ask(server, name, rdtype="MX", tcp=False):
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, "127.0.0.1", port=server.port, timeout=1)


def test_udp_and_tcp_share_one_free_port():
    with LoopbackDNS.from_text(ZONES) as server:
        assert server.port > 0
        assert ask(server, "mx.a.example", "A").answer[0][0].to_text() == "192.0.2.1"
        assert ask(server, "mx.a.example", "A", tcp=True).answer[0][0].to_text() == "192.0.2.1"


def test_flapping_name_alternates_and_answers_are_authoritative():
    with LoopbackDNS.from_text(ZONES) as server:
        first = ask(server, "a.example").answer[0][0].exchange.to_text()
        second = ask(server, "a.example").answer[0][0].exchange.to_text()
        assert {first, second} == {"mx.a.example.", "mx.other.example."}
        assert ask(server, "a.example").flags & dns.flags.AA


def test_nxdomain_and_empty_non_terminal():
    with LoopbackDNS.from_text(ZONES) as server:
        assert ask(server, "nothing.example").rcode() == dns.rcode.NXDOMAIN
        nodata = ask(server, "b.example")  # exists only as the parent of deep.b.example
        assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer and nodata.authority


def test_records_can_change_at_runtime():
    with LoopbackDNS.from_text(ZONES) as server:
        server.set_records("new.example.", "MX", ["5 mx.new.example."])
        assert ask(server, "new.example").answer[0][0].preference == 5
        server.set_records("new.example.", "MX", [])
        assert not ask(server, "new.example").answer


def test_global_delay():
    with LoopbackDNS.from_text(ZONES, delay=0.15) as server:
        started = time.monotonic()
        ask(server, "mx.a.example", "A")
        assert time.monotonic() - started >= 0.15


def test_runs_as_a_program(tmp_path: Path):
    zones = tmp_path / "zones.txt"
    zones.write_text(ZONES)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "deliverability.devtools.loopback_dns", "--zones", str(zones), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "serving on" in proc.stderr.readline()
        response = dns.query.udp(dns.message.make_query("mx.a.example", "A"), "127.0.0.1", port=port, timeout=1)
        assert response.answer[0][0].to_text() == "192.0.2.1"
    finally:
        proc.terminate()
        proc.wait(5)
    assert proc.returncode == 0


def test_unknown_names_are_refused_when_the_fixture_only_knows_some_domains():
    """;@unknown refused (the demo): a name the fixture knows nothing about answers REFUSED, so an enrichment
    says "unresolved" instead of "does not exist"; names under a known domain and names declared absent keep
    NXDOMAIN; existing names answer as before, over UDP (the fast path) and TCP (dnspython's)."""
    text = ZONES + ";@unknown refused\n;@nxdomain gone.example.\n"
    with LoopbackDNS.from_text(text) as server:
        for tcp in (False, True):
            assert ask(server, "uab.cat", tcp=tcp).rcode() == dns.rcode.REFUSED
            assert ask(server, "mailhost.sample.co.uk", "A", tcp=tcp).rcode() == dns.rcode.REFUSED
            assert ask(server, "nobody.a.example", tcp=tcp).rcode() == dns.rcode.NXDOMAIN  # under a known domain
            assert ask(server, "gone.example", tcp=tcp).rcode() == dns.rcode.NXDOMAIN  # declared absent
            assert ask(server, "www.gone.example", "A", tcp=tcp).rcode() == dns.rcode.NXDOMAIN
            assert ask(server, "mx.a.example", "A", tcp=tcp).answer[0][0].to_text() == "192.0.2.1"
            assert ask(server, "b.example", "A", tcp=tcp).rcode() == dns.rcode.NOERROR  # exists: deep.b.example


def test_without_the_directive_unknown_names_do_not_exist():
    with LoopbackDNS.from_text(ZONES) as server:
        assert ask(server, "uab.cat").rcode() == dns.rcode.NXDOMAIN
