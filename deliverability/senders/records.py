"""Reading SPF, DMARC and DKIM records: text in, structured record and syntax errors out.

Pure Python. The grammars are the RFCs' own: SPF RFC 7208 §4.6 and §12 (terms, mechanisms,
modifiers), DMARC RFC 7489 §6.3–6.4 (tag list, tag values), DKIM RFC 6376 §3.6.1 (key record tags)
with RFC 8301 on key sizes. An error is one short English sentence (shown as evidence).
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass, field

# --- SPF (RFC 7208) ----------------------------------------------------------------------------

SPF_VERSION = re.compile(r"^v=spf1(?:\s|$)", re.IGNORECASE)
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
# mechanisms and modifiers that cost a DNS query when evaluated (RFC 7208 §4.6.4)
LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
_MODIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$")
_MECHANISM = re.compile(r"^([+\-~?]?)([A-Za-z][A-Za-z0-9]*)(?::([^/]*))?((?:/\d*)?(?://\d*)?)$")
_MACRO = re.compile(r"%\{[slodiphcrtvSLODIPHCRTV]\d*r?[-.+,/_=]*\}|%%|%_|%-")
_TOPLABEL = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


@dataclass
class SpfTerm:
    name: str  # lower-case mechanism or modifier name
    qualifier: str = "+"  # mechanisms only
    value: str = ""  # domain-spec, network or modifier value
    modifier: bool = False

    @property
    def has_macro(self) -> bool:
        return "%" in self.value

    def __str__(self) -> str:
        if self.modifier:
            return f"{self.name}={self.value}"
        return f"{'' if self.qualifier == '+' else self.qualifier}{self.name}{':' + self.value if self.value else ''}"


@dataclass
class SpfRecord:
    text: str
    terms: list[SpfTerm] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def modifier(self, name: str) -> str | None:
        return next((t.value for t in self.terms if t.modifier and t.name == name), None)

    @property
    def all_term(self) -> SpfTerm | None:
        return next((t for t in self.terms if not t.modifier and t.name == "all"), None)


def is_spf(text: str) -> bool:
    """RFC 7208 §4.5: a record starts with exactly 'v=spf1' followed by a space or its end."""
    return bool(SPF_VERSION.match(text))


def _valid_domain_spec(spec: str) -> bool:
    """RFC 7208 §7.1 domain-spec: macro-string ending in a top label (or a macro)."""
    if not spec or " " in spec:
        return False
    stripped = _MACRO.sub("x", spec)
    if "%" in stripped:
        return False  # a '%' that is not a valid macro
    if _MACRO.search(spec.rsplit(".", 1)[-1] if "." in spec else spec):
        return True  # ends in a macro-expand
    labels = spec.rstrip(".").split(".")
    return len(labels) >= 2 and bool(_TOPLABEL.match(labels[-1])) and all(labels)


def parse_spf(text: str) -> SpfRecord:
    record = SpfRecord(text)
    words = text.split()
    if not words or words[0].lower() != "v=spf1":
        record.errors.append("the record does not start with v=spf1")
        return record
    seen_modifiers: set[str] = set()
    for word in words[1:]:
        modifier = _MODIFIER.match(word)
        mechanism = None if modifier else _MECHANISM.match(word)
        if modifier:
            name, value = modifier.group(1).lower(), modifier.group(2)
            if name in ("redirect", "exp"):
                if name in seen_modifiers:
                    record.errors.append(f"'{name}=' appears more than once")
                if not _valid_domain_spec(value):
                    record.errors.append(f"'{word}': not a domain")
            seen_modifiers.add(name)
            record.terms.append(SpfTerm(name, value=value, modifier=True))
            continue
        if not mechanism:
            record.errors.append(f"'{word}' is not an SPF term")
            continue
        qualifier, name, value, cidr = mechanism.groups()
        name = name.lower()
        value = value if value is not None else ""
        if name not in MECHANISMS:
            record.errors.append(f"unknown mechanism '{word}'")
            continue
        problem = _mechanism_problem(name, value, cidr, word, has_colon=":" in word.split("/")[0])
        if problem:
            record.errors.append(problem)
            continue
        record.terms.append(SpfTerm(name, qualifier or "+", value))
    return record


def _mechanism_problem(name: str, value: str, cidr: str, word: str, has_colon: bool) -> str | None:
    if name == "all":
        return f"'{word}': 'all' takes no argument" if has_colon or cidr else None
    if name in ("include", "exists"):
        if cidr:
            return f"'{word}': '{name}' takes no prefix length"
        return None if _valid_domain_spec(value) else f"'{word}': '{name}' needs a domain"
    if name in ("a", "mx", "ptr"):
        if has_colon and not _valid_domain_spec(value):
            return f"'{word}': not a domain"
        if name == "ptr" and cidr:
            return f"'{word}': 'ptr' takes no prefix length"
        return _cidr_problem(cidr, word)
    # ip4 / ip6
    try:
        network = ipaddress.ip_address(value)
    except ValueError:
        return f"'{word}': not an IP{'v4' if name == 'ip4' else 'v6'} address"
    if (name == "ip4") != (network.version == 4):
        return f"'{word}': an IPv{network.version} address in '{name}'"
    if cidr:
        length = cidr.lstrip("/")
        if not length.isdigit() or int(length) > (32 if name == "ip4" else 128):
            return f"'{word}': bad prefix length"
    return None


def _cidr_problem(cidr: str, word: str) -> str | None:
    if not cidr:
        return None
    v4, _, v6 = cidr.partition("//")
    v4 = v4.lstrip("/")
    if (v4 and (not v4.isdigit() or int(v4) > 32)) or (v6 and (not v6.isdigit() or int(v6) > 128)):
        return f"'{word}': bad prefix length"
    return None


# --- DMARC (RFC 7489) --------------------------------------------------------------------------

DMARC_VERSION = re.compile(r"^v\s*=\s*DMARC1\s*(?:;|$)", re.IGNORECASE)
POLICIES = ("none", "quarantine", "reject")


@dataclass
class DmarcRecord:
    text: str
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def policy(self) -> str | None:
        value = self.tags.get("p", "").lower()
        return value if value in POLICIES else None

    @property
    def subdomain_policy(self) -> str | None:
        value = self.tags.get("sp", "").lower()
        return value if value in POLICIES else self.policy

    @property
    def pct(self) -> int:
        value = self.tags.get("pct", "100")
        return int(value) if value.isdigit() and int(value) <= 100 else 100

    @property
    def rua(self) -> list[str]:
        return [u.strip() for u in self.tags.get("rua", "").split(",") if u.strip()]

    @property
    def adkim(self) -> str:
        return "s" if self.tags.get("adkim", "r").lower() == "s" else "r"

    @property
    def aspf(self) -> str:
        return "s" if self.tags.get("aspf", "r").lower() == "s" else "r"


def is_dmarc(text: str) -> bool:
    """RFC 7489 §6.6.3: records not starting with v=DMARC1 are discarded."""
    return bool(DMARC_VERSION.match(text))


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+?(?:![0-9]+[kmgtKMGT]?)?$")


def parse_dmarc(text: str) -> DmarcRecord:
    record = DmarcRecord(text)
    parts = [p.strip() for p in text.split(";")]
    if parts and parts[-1] == "":
        parts.pop()
    for index, part in enumerate(parts):
        if "=" not in part:
            record.errors.append(f"'{part}' is not a tag=value pair")
            continue
        name, _, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if index == 0 and (name != "v" or value != "DMARC1"):
            record.errors.append("the record does not start with v=DMARC1")
        if name in record.tags:
            record.errors.append(f"tag '{name}' appears more than once")
        record.tags[name] = value
    errors = record.errors
    tags = record.tags
    if "p" not in tags:
        errors.append("no policy (p=) tag")
    elif tags["p"].lower() not in POLICIES:
        errors.append(f"p={tags['p']} is not none, quarantine or reject")
    if "sp" in tags and tags["sp"].lower() not in POLICIES:
        errors.append(f"sp={tags['sp']} is not none, quarantine or reject")
    for name in ("adkim", "aspf"):
        if name in tags and tags[name].lower() not in ("r", "s"):
            errors.append(f"{name}={tags[name]} is not r or s")
    if "pct" in tags and not (tags["pct"].isdigit() and int(tags["pct"]) <= 100):
        errors.append(f"pct={tags['pct']} is not a whole number from 0 to 100")
    if "ri" in tags and not tags["ri"].isdigit():
        errors.append(f"ri={tags['ri']} is not a number of seconds")
    for name in ("rua", "ruf"):
        for uri in (u.strip() for u in tags.get(name, "").split(",")):
            if name in tags and (not uri or not _URI.match(uri)):
                errors.append(f"{name}: '{uri}' is not a URI (mailto:address)")
    if "fo" in tags and not all(opt.strip() in ("0", "1", "d", "s") for opt in tags["fo"].split(":")):
        errors.append(f"fo={tags['fo']} is not a list of 0, 1, d, s")
    return record


# --- DKIM key records (RFC 6376 §3.6.1, RFC 8301) ------------------------------------------------

@dataclass
class DkimKey:
    text: str
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    key_type: str = "rsa"
    bits: int | None = None  # RSA modulus length; None when unreadable or not RSA
    revoked: bool = False


def parse_dkim(text: str) -> DkimKey:
    key = DkimKey(text)
    parts = [p.strip() for p in text.split(";") if p.strip()]
    for index, part in enumerate(parts):
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq:
            key.errors.append(f"'{part[:40]}' is not a tag=value pair")
            continue
        if name == "v" and index != 0:
            key.errors.append("v= must be the first tag")
        key.tags[name] = "".join(value.split()) if name == "p" else value.strip()
    if "v" in key.tags and key.tags["v"] != "DKIM1":
        key.errors.append(f"v={key.tags['v']} is not DKIM1")
    key.key_type = key.tags.get("k", "rsa").lower() or "rsa"
    if "p" not in key.tags:
        key.errors.append("no public key (p=) tag")
        return key
    data = key.tags["p"]
    if data == "":
        key.revoked = True  # RFC 6376 §3.6.1: an empty p= means the key has been revoked
        return key
    try:
        der = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        key.errors.append("p= is not base64")
        return key
    if key.key_type == "ed25519":  # RFC 8463: 32 raw bytes
        if len(der) != 32:
            key.errors.append("an ed25519 key is 32 bytes")
        return key
    if key.key_type != "rsa":
        key.errors.append(f"unknown key type k={key.key_type}")
        return key
    key.bits = rsa_modulus_bits(der)
    if key.bits is None:
        key.errors.append("p= is not an RSA public key")
    return key


def rsa_modulus_bits(der: bytes) -> int | None:
    """Modulus length of a DER SubjectPublicKeyInfo (what RFC 6376 publishes) or a bare RSAPublicKey.

    Two lengths are all we read, so a dozen lines of DER walking instead of a crypto dependency.
    """
    try:
        tag, start, end = _der(der, 0)
        if tag != 0x30:
            return None
        first_tag, first_start, first_end = _der(der, start)
        if first_tag == 0x02:  # RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            return int.from_bytes(der[first_start:first_end], "big").bit_length()
        if first_tag != 0x30:
            return None
        bit_tag, bit_start, bit_end = _der(der, first_end)  # subjectPublicKey BIT STRING
        if bit_tag != 0x03 or der[bit_start] != 0:
            return None
        inner = der[bit_start + 1:bit_end]
        seq_tag, seq_start, _ = _der(inner, 0)
        int_tag, int_start, int_end = _der(inner, seq_start)
        if seq_tag != 0x30 or int_tag != 0x02:
            return None
        return int.from_bytes(inner[int_start:int_end], "big").bit_length()
    except (IndexError, ValueError):
        return None


def _der(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at pos."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length
