"""A small authoritative DNS server for loopback use: tests, the demo and the benchmark.

It speaks the real DNS protocol over UDP and TCP (built on dnspython), so the enrichment code is
exercised exactly as against a production server — nothing in the resolver is patched.

Zones come from one zone-file text (all names absolute, one big zone rooted at ".") plus
behaviour directives written as comments, so a fixture stays a single readable file:

    ;@silent   dead.example.          never answer (the client times out)
    ;@servfail broken.example.        answer SERVFAIL
    ;@refused  lame.example.          answer REFUSED
    ;@delay    slow.example. 0.2      answer after 200 ms (per name; --delay sets a global one)
    ;@flap     flap.example. MX 10 mx.a.example. | 10 mx.b.example.
                                      alternate between the zone's answer and these rdatas
    ;@unknown  refused                names this fixture knows nothing about (neither a name with
                                      records nor under one, nor declared absent) answer REFUSED
                                      instead of NXDOMAIN: the server stands in for the whole DNS
                                      but only knows some domains (the demo, where a user's own
                                      upload names real domains it cannot know)
    ;@nxdomain gone.example.          declared absent: NXDOMAIN even with ``;@unknown refused``

Run:   python -m deliverability.devtools.loopback_dns --zones FILE --port 5353 [--delay 0.02]
Tests: with LoopbackDNS.from_file(path) as server: server.nameserver  ->  "127.0.0.1:PORT"
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

DIRECTIVE_PREFIX = ";@"
DEMO_ZONES = Path(__file__).with_name("data") / "demo_zones.txt"


@dataclass
class Behaviour:
    """Per-name misbehaviour (keys are absolute lower-case names)."""

    silent: set[dns.name.Name] = field(default_factory=set)
    servfail: set[dns.name.Name] = field(default_factory=set)
    refused: set[dns.name.Name] = field(default_factory=set)
    delay: dict[dns.name.Name, float] = field(default_factory=dict)
    # name -> (rdtype, list of alternative rdatas); answers alternate zone / alternative per query
    flap: dict[dns.name.Name, tuple[int, list[dns.rdata.Rdata]]] = field(default_factory=dict)
    unknown_refused: bool = False  # ;@unknown refused
    nxdomain: set[dns.name.Name] = field(default_factory=set)  # declared absent


def parse_fixture(text: str) -> tuple[dns.zone.Zone, Behaviour]:
    """Zone-file text (absolute names) + ';@' directives → (zone rooted at '.', behaviour)."""
    behaviour = Behaviour()
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith(DIRECTIVE_PREFIX):
            continue
        word, _, rest = line[len(DIRECTIVE_PREFIX):].partition(" ")
        parts = rest.split()
        if not parts:
            raise ValueError(f"directive without a name: {raw!r}")
        if word == "unknown":
            if parts[0] not in ("refused", "nxdomain"):
                raise ValueError(f"';@unknown' takes refused or nxdomain: {raw!r}")
            behaviour.unknown_refused = parts[0] == "refused"
            continue
        name = dns.name.from_text(parts[0])
        if word == "silent":
            behaviour.silent.add(name)
        elif word == "servfail":
            behaviour.servfail.add(name)
        elif word == "refused":
            behaviour.refused.add(name)
        elif word == "nxdomain":
            behaviour.nxdomain.add(name)
        elif word == "delay":
            behaviour.delay[name] = float(parts[1])
        elif word == "flap":
            rdtype = dns.rdatatype.from_text(parts[1])
            alternatives = " ".join(parts[2:]).split("|")
            rdatas = [dns.rdata.from_text(dns.rdataclass.IN, rdtype, a.strip()) for a in alternatives if a.strip()]
            behaviour.flap[name] = (rdtype, rdatas)
        else:
            raise ValueError(f"unknown directive {word!r} in {raw!r}")
    zone = dns.zone.from_text(text, origin=dns.name.root, relativize=False, check_origin=False)
    return zone, behaviour


class Authority:
    """Answers one query message from the zone; knows nothing about sockets."""

    def __init__(self, zone: dns.zone.Zone, behaviour: Behaviour | None = None, delay: float = 0.0):
        self.zone = zone
        self.behaviour = behaviour or Behaviour()
        self.delay = delay
        self._flap_counter: dict[dns.name.Name, itertools.count] = {}
        # wire cache: query bytes without the id -> response bytes without the id. Answers are a
        # pure function of the question (except flapping names), so the hot path skips dnspython.
        self._wire_cache: dict[bytes, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self.queries = 0
        # every name that exists, including empty non-terminals (they answer NODATA, not NXDOMAIN)
        self._existing: set[dns.name.Name] = set()
        for name in zone.nodes:
            while True:
                self._existing.add(name)
                if name == dns.name.root:
                    break
                name = name.parent()
        self._reindex()

    def _reindex(self) -> None:
        """Lookup tables of the fast path (see _fast_answer)."""
        # lower-case wire form of every existing name -> the name
        self._by_key: dict[bytes, dns.name.Name] = {n.to_wire().lower(): n for n in self._existing}
        b = self.behaviour
        special = b.silent | b.servfail | b.refused | set(b.flap)
        self._special_keys = {n.to_wire().lower() for n in special}
        self._delay_by_key = {n.to_wire().lower(): d for n, d in b.delay.items()}
        # ;@unknown refused: the names this fixture speaks for (owners of records, and names declared absent)
        self._territory = {n.to_wire().lower() for n, node in self.zone.nodes.items()
                           if n != dns.name.root and len(node.rdatasets)} | {n.to_wire().lower() for n in b.nxdomain}
        self._rr_cache: dict[tuple[dns.name.Name, int], tuple[bytes, int, list] | None] = {}
        self._soa_cache: dict[dns.name.Name, bytes] = {}

    # -- runtime changes (tests) -------------------------------------------------------------
    def set_records(self, name: str, rdtype: str, rdatas: list[str], ttl: int = 300) -> None:
        """Replace one rrset (an empty list deletes it)."""
        qname = dns.name.from_text(name)
        rtype = dns.rdatatype.from_text(rdtype)
        with self._lock:
            if rdatas:
                rrset = dns.rrset.from_text_list(qname, ttl, dns.rdataclass.IN, rtype, rdatas)
                node = self.zone.find_node(qname, create=True)
                node.replace_rdataset(rrset.to_rdataset())
                n = qname
                while True:
                    self._existing.add(n)
                    if n == dns.name.root:
                        break
                    n = n.parent()
            else:
                node = self.zone.get_node(qname)
                if node is not None:
                    node.delete_rdataset(dns.rdataclass.IN, rtype)
            self._wire_cache.clear()
            self._reindex()

    def set_silent(self, name: str, silent: bool = True) -> None:
        """Start or stop ignoring queries for `name` (a server that went dead)."""
        qname = dns.name.from_text(name)
        with self._lock:
            (self.behaviour.silent.add if silent else self.behaviour.silent.discard)(qname)
            self._wire_cache.clear()
            self._reindex()

    # -- answering ---------------------------------------------------------------------------
    def decide(self, wire: bytes) -> tuple[bytes | None, float]:
        """Return (response wire or None to stay silent, delay in seconds)."""
        self.queries += 1
        key = wire[2:]
        cached = self._wire_cache.get(key)
        if cached is not None:
            return wire[:2] + cached[0], cached[1]
        fast = self._fast_answer(wire)
        if fast is not None:
            return fast
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return self._formerr(wire), 0.0
        if not query.question:
            return self._formerr(wire), 0.0
        qname = query.question[0].name.canonicalize()
        delay = self.behaviour.delay.get(qname, self.delay)
        if qname in self.behaviour.silent:
            return None, 0.0
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        cacheable = True
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
        elif qname in self.behaviour.servfail:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.SERVFAIL)
        elif qname in self.behaviour.refused or (qname not in self._existing and not self._known(qname.to_wire().lower())):
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.REFUSED)
        else:
            cacheable = self._fill(response, qname, query.question[0].rdtype)
        out = response.to_wire(max_size=self._max_size(query))
        if cacheable:
            with self._lock:
                self._wire_cache[key] = (out[2:], delay)
        return out, delay

    # -- fast path ---------------------------------------------------------------------------
    # Plain questions (one QUERY, class IN, a name without special behaviour or CNAME) are
    # answered by splicing pre-rendered record bytes behind the query's own question, with the
    # owner names compressed to the question (offset 12). This costs ~30 µs instead of ~300 µs
    # for dnspython's parse/build/render, so the server is not what a benchmark measures.

    def _fast_answer(self, wire: bytes) -> tuple[bytes, float] | None:
        if len(wire) < 17 or wire[2] & 0xF8:  # a response, or an opcode other than QUERY
            return None
        qdcount, ancount, nscount, arcount = struct.unpack_from("!HHHH", wire, 4)
        if qdcount != 1 or ancount or nscount or arcount > 1:
            return None
        i = 12
        end = len(wire)
        while i < end and wire[i]:
            if wire[i] & 0xC0:
                return None
            i += wire[i] + 1
        if i + 5 > end:
            return None
        qtype, qclass = struct.unpack_from("!HH", wire, i + 1)
        if qclass != dns.rdataclass.IN:
            return None
        key = wire[12:i + 1].lower()
        if key in self._special_keys:
            return None
        edns = False
        if arcount:
            j = i + 5
            if end < j + 11 or wire[j] != 0 or struct.unpack_from("!H", wire, j + 1)[0] != dns.rdatatype.OPT:
                return None
            edns = True
        with self._lock:
            parts = self._render(key, qtype)
        if parts is None:
            return None
        rcode, answer, an, authority, ns, additional, ar = parts
        flags = 0x8400 | (wire[2] << 8 & 0x0100) | rcode  # QR, AA, RD copied, rcode
        if edns:
            additional += b"\x00" + struct.pack("!HHIH", dns.rdatatype.OPT, 1232, 0, 0)
            ar += 1
        out = b"".join((
            wire[:2], struct.pack("!HHHHH", flags, 1, an, ns, ar), wire[12:i + 5], answer, authority, additional
        ))
        if not edns and len(out) > 512:
            return None  # the slow path truncates properly
        return out, self._delay_by_key.get(key, self.delay)

    def _known(self, key: bytes) -> bool:
        """Whether the fixture speaks for this name (lower-case wire form): always, unless ``;@unknown
        refused``, then when the name or one of its ancestors owns records or is declared absent."""
        if not self.behaviour.unknown_refused:
            return True
        while key and key != b"\x00":
            if key in self._territory:
                return True
            key = key[key[0] + 1:]
        return False

    def _render(self, key: bytes, qtype: int):
        name = self._by_key.get(key)
        if name is None:
            if not self._known(key):
                return None  # REFUSED, by the slow path
            soa = self._negative_soa(key)
            return dns.rcode.NXDOMAIN, b"", 0, soa, 1, b"", 0
        node = self.zone.nodes.get(name)
        if node is not None and qtype != dns.rdatatype.CNAME and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME):
            return None
        rrs = self._rrs(name, qtype, owner=b"\xc0\x0c")
        if rrs is None:
            return dns.rcode.NOERROR, b"", 0, self._soa_bytes(name), 1, b"", 0
        answer, count, rdatas = rrs
        additional, ar = b"", 0
        if qtype == dns.rdatatype.MX:
            glue = []
            for rd in rdatas:
                for rtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    g = self._rrs(rd.exchange, rtype)
                    if g is not None:
                        glue.append(g[0])
                        ar += g[1]
            additional = b"".join(glue)
        return dns.rcode.NOERROR, answer, count, b"", 0, additional, ar

    def _rrs(self, name: dns.name.Name, rdtype: int, owner: bytes | None = None):
        """Wire bytes of one rrset (owner name uncompressed, or the given pointer)."""
        cache_key = (name, rdtype, owner)
        if cache_key in self._rr_cache:
            return self._rr_cache[cache_key]
        node = self.zone.nodes.get(name)
        rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype) if node is not None else None
        if rdataset is None:
            result = None
        else:
            owner_wire = owner if owner is not None else name.to_wire()
            chunks = []
            for rd in rdataset:
                data = rd.to_wire()
                chunks.append(owner_wire + struct.pack("!HHIH", rdtype, dns.rdataclass.IN, rdataset.ttl, len(data)) + data)
            result = (b"".join(chunks), len(chunks), list(rdataset))
        if owner is None or len(self._rr_cache) < 1_000_000:
            self._rr_cache[cache_key] = result
        return result

    def _soa_bytes(self, name: dns.name.Name) -> bytes:
        cached = self._soa_cache.get(name)
        if cached is None:
            rrset = self._soa_for(name)
            data = rrset[0].to_wire()
            cached = rrset.name.to_wire() + struct.pack("!HHIH", dns.rdatatype.SOA, dns.rdataclass.IN, rrset.ttl, len(data)) + data
            if len(self._soa_cache) < 100_000:
                self._soa_cache[name] = cached
        return cached

    def _negative_soa(self, key: bytes) -> bytes:
        # the closest existing ancestor carries (or leads to) the SOA
        while key and key != b"\x00":
            key = key[key[0] + 1:]
            name = self._by_key.get(key)
            if name is not None:
                return self._soa_bytes(name)
        return self._soa_bytes(dns.name.root)

    def _max_size(self, query: dns.message.Message) -> int:
        return max(512, query.payload) if query.edns >= 0 else 512

    def _fill(self, response: dns.message.Message, qname: dns.name.Name, rdtype: int) -> bool:
        cacheable = True
        with self._lock:
            flap = self.behaviour.flap.get(qname)
            node = self.zone.get_node(qname)
            rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype) if node is not None else None
            if flap is not None and flap[0] == rdtype:
                cacheable = False
                turn = next(self._flap_counter.setdefault(qname, itertools.count()))
                if turn % 2 == 1:
                    ttl = rdataset.ttl if rdataset is not None else 300
                    rdataset = dns.rrset.from_rdata_list(qname, ttl, flap[1]).to_rdataset()
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME) if node is not None else None
            if rdataset is None and cname is not None and rdtype != dns.rdatatype.CNAME:
                # follow an in-zone CNAME chain, as an authoritative server does
                self._add(response.answer, qname, cname)
                target = cname[0].target
                for _ in range(8):
                    tnode = self.zone.get_node(target)
                    if tnode is None:
                        break
                    trd = tnode.get_rdataset(dns.rdataclass.IN, rdtype)
                    if trd is not None:
                        self._add(response.answer, target, trd)
                        break
                    tc = tnode.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
                    if tc is None:
                        break
                    self._add(response.answer, target, tc)
                    target = tc[0].target
                return cacheable
            if rdataset is not None:
                self._add(response.answer, qname, rdataset)
                if rdtype == dns.rdatatype.MX:
                    self._glue(response, rdataset)
                return cacheable
            if qname not in self._existing:
                response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(self._soa_for(qname))
            return cacheable

    @staticmethod
    def _add(section: list, name: dns.name.Name, rdataset) -> None:
        section.append(dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset)))

    def _glue(self, response: dns.message.Message, mx: dns.rdataset.Rdataset) -> None:
        """Additional-section addresses for MX targets, as real authoritative servers send."""
        for rd in mx:
            node = self.zone.get_node(rd.exchange)
            if node is None:
                continue
            for rtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                rds = node.get_rdataset(dns.rdataclass.IN, rtype)
                if rds is not None:
                    self._add(response.additional, rd.exchange, rds)

    def _soa_for(self, qname: dns.name.Name) -> dns.rrset.RRset:
        name = qname
        while True:
            node = self.zone.get_node(name)
            if node is not None:
                soa = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA)
                if soa is not None:
                    return dns.rrset.from_rdata_list(name, soa.ttl, list(soa))
            if name == dns.name.root:
                break
            name = name.parent()
        # a synthetic SOA so negative answers carry a negative-caching TTL (RFC 2308)
        rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, "ns.loopback. hostmaster.loopback. 1 3600 600 86400 300")
        return dns.rrset.from_rdata_list(dns.name.root, 300, [rd])

    @staticmethod
    def _formerr(wire: bytes) -> bytes:
        qid = wire[:2] if len(wire) >= 2 else b"\0\0"
        return qid + struct.pack("!HHHHH", 0x8000 | dns.rcode.FORMERR, 0, 0, 0, 0)


class _UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, authority: Authority):
        self.authority = authority
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        out, delay = self.authority.decide(data)
        if out is None:
            return
        if len(out) > 512 and not _has_edns(data):
            out = _truncated(data)
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.transport.sendto, out, addr)
        else:
            self.transport.sendto(out, addr)


def _has_edns(wire: bytes) -> bool:
    return len(wire) >= 12 and struct.unpack("!H", wire[10:12])[0] > 0


def _truncated(query_wire: bytes) -> bytes:
    query = dns.message.from_wire(query_wire)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.TC | dns.flags.AA
    return response.to_wire()


async def _handle_tcp(authority: Authority, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            header = await reader.readexactly(2)
            (length,) = struct.unpack("!H", header)
            data = await reader.readexactly(length)
            out, delay = authority.decide(data)
            if out is None:
                continue
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(struct.pack("!H", len(out)) + out)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


class LoopbackDNS:
    """The server: UDP and TCP on the same port of 127.0.0.1, on its own event loop thread.

    Use as a context manager, or start()/stop(). port=0 picks a free port (same number for
    UDP and TCP).
    """

    def __init__(self, authority: Authority, host: str = "127.0.0.1", port: int = 0, reuse_port: bool = False):
        self.authority = authority
        self.host = host
        self.port = port
        # SO_REUSEPORT lets several server processes share one port; the kernel spreads queries
        self.reuse_port = reuse_port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._error: BaseException | None = None

    @classmethod
    def from_text(cls, text: str, *, delay: float = 0.0, host: str = "127.0.0.1", port: int = 0) -> LoopbackDNS:
        zone, behaviour = parse_fixture(text)
        return cls(Authority(zone, behaviour, delay=delay), host=host, port=port)

    @classmethod
    def from_file(cls, path: str | Path, **kwargs) -> LoopbackDNS:
        return cls.from_text(Path(path).read_text(encoding="utf-8"), **kwargs)

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"

    def set_records(self, name: str, rdtype: str, rdatas: list[str], ttl: int = 300) -> None:
        self.authority.set_records(name, rdtype, rdatas, ttl)

    def set_silent(self, name: str, silent: bool = True) -> None:
        self.authority.set_silent(name, silent)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> LoopbackDNS:
        self._thread = threading.Thread(target=self._run, name="loopback-dns", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> LoopbackDNS:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self.serve())
        except BaseException as exc:  # surfaced to start()
            self._error = exc
            self._ready.set()

    async def serve(self, announce: bool = False) -> None:
        """Serve until stop() (or SIGTERM/SIGINT when run as a program)."""
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        udp_sock, tcp_sock = _bind_pair(self.host, self.port, self.reuse_port)
        self.port = udp_sock.getsockname()[1]
        transport, _ = await self._loop.create_datagram_endpoint(lambda: _UDPProtocol(self.authority), sock=udp_sock)
        server = await asyncio.start_server(lambda r, w: _handle_tcp(self.authority, r, w), sock=tcp_sock)
        self._ready.set()
        if announce:  # run as a program: stop cleanly on SIGTERM / Ctrl-C
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stopped.set)
            print(f"loopback DNS serving on {self.host}:{self.port} (udp+tcp)", file=sys.stderr, flush=True)
        try:
            await self._stopped.wait()
        finally:
            transport.close()
            server.close()
            await server.wait_closed()


def _bind_pair(host: str, port: int, reuse_port: bool = False) -> tuple[socket.socket, socket.socket]:
    """Bind UDP and TCP sockets to the same port (retrying when port=0 collides)."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if reuse_port:
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        udp.bind((host, port))
        chosen = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            tcp.bind((host, chosen))
        except OSError:
            udp.close()
            tcp.close()
            if port:
                raise
            continue
        tcp.listen(128)
        udp.setblocking(False)
        tcp.setblocking(False)
        return udp, tcp
    raise OSError("could not bind UDP and TCP to the same free port")


def demo_server(port: int = 0) -> LoopbackDNS:
    """The demo's DNS (not started): the demo zones, and every other domain refused (``;@unknown refused``), so
    that a user trying the demo on their own export sees its real domains as unresolved, not as nonexistent."""
    return LoopbackDNS.from_text(DEMO_ZONES.read_text(encoding="utf-8") + "\n;@unknown refused\n", port=port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zones", default=str(DEMO_ZONES), help="zone-file text with ;@ directives (default: the demo zones)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5353)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--reuse-port", action="store_true", help="allow several server processes on one port")
    args = parser.parse_args(argv)
    zone, behaviour = parse_fixture(Path(args.zones).read_text(encoding="utf-8"))
    server = LoopbackDNS(Authority(zone, behaviour, delay=args.delay), host=args.host, port=args.port, reuse_port=args.reuse_port)

    asyncio.run(server.serve(announce=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
