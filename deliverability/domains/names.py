"""Domain names: address → domain, IDN → punycode, registrable domain.

Pure Python. DNS is asked about the address's own domain (`us.ibm.com` stays `us.ibm.com`); the
registrable domain (`ibm.com`) only groups subdomains for kind and reporting. The public suffix
list is tldextract's bundled snapshot: nothing is downloaded at run time.
"""
from __future__ import annotations

import re
from functools import lru_cache

import dns.name
import tldextract

# suffix_list_urls=() and cache_dir=None: use the snapshot shipped inside the package, never fetch.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)

MAX_NAME_LENGTH = 253
# the common case, checked without building a dns.name.Name (a third of the cost of a domain)
_PLAIN_HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class InvalidDomain(ValueError):
    """Not something DNS could be asked about."""


@lru_cache(maxsize=65536)
def normalize_domain(name: str) -> str:
    """Lower-case ASCII (punycode) form without the trailing dot.

    >>> normalize_domain("Bücher.Example.")
    'xn--bcher-kva.example'
    """
    text = name.strip().rstrip(".")
    if not text:
        raise InvalidDomain("empty domain")
    if text.isascii():
        text = text.lower()
        if not _PLAIN_HOSTNAME.match(text):
            try:  # still a valid DNS name? (underscores, odd lengths …)
                dns.name.from_text(text)
            except Exception as exc:
                raise InvalidDomain(f"{name!r}: {exc}") from None
    else:
        try:
            # UTS 46 mapping (IDNA 2008 with the practical compatibility rules browsers use)
            text = dns.name.from_unicode(text, idna_codec=dns.name.IDNA_2008_Practical).to_text(omit_final_dot=True)
        except Exception as exc:
            raise InvalidDomain(f"{name!r}: {exc}") from None
        text = text.lower()
    if len(text) > MAX_NAME_LENGTH or "." not in text:
        raise InvalidDomain(f"{name!r} is not a fully qualified domain")
    return text


def under_public_suffix(domain: str) -> bool:
    """True when the name lies under a public suffix (`news.example.com`), not an internal one
    (`db.corp.internal`, `localhost.localdomain`) that a resolver answers only inside a network."""
    parts = _EXTRACT(domain)
    return bool(parts.suffix and parts.domain)


@lru_cache(maxsize=65536)
def registrable_domain(domain: str) -> str:
    """The domain a registrant owns (public suffix + one label): `us.ibm.com` → `ibm.com`.

    A name that is itself a public suffix, or has no known suffix, is returned unchanged.
    """
    parts = _EXTRACT(domain)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return domain
