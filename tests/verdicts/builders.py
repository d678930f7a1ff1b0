"""Small builders for verdict-engine tests: realistic facts with few keystrokes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deliverability.verdicts.facts import DomainPattern, RecipientFacts, RecipientHistory, domain_patterns

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)

PROOFPOINT_MX = "mx0a-00069f02.pphosted.com"
USER_UNKNOWN = "550 5.1.1 <{email}>: User Unknown"
DBEB = "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [BN8NAM12FT053.eop-nam12.prod.protection.outlook.com]"
GMAIL_UNKNOWN = "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address"
SPAMHAUS = "550 5.7.1 Service unavailable, Client host [203.0.113.7] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/203.0.113.7 (AS16012611)"
MAILBOX_FULL = "552 5.2.2 The email account that you tried to reach is over quota"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


_DEFAULT = object()


def bounce(email: str, *, category: str = "invalid_mailbox", signature=_DEFAULT,
           diagnostic: str | None = None, reply_code: int | None = 550, status: str | None = "5.1.1",
           occurred_at: datetime | None = T0, **fields) -> RecipientFacts:
    domain = email.split("@", 1)[1]
    if signature is _DEFAULT:
        signature = "user_unknown" if category == "invalid_mailbox" else None
    if diagnostic is None and category == "invalid_mailbox":
        diagnostic = USER_UNKNOWN.format(email=email)
    return RecipientFacts(email=email, domain=domain, outcome="bounce", occurred_at=occurred_at,
                          category=category, signature=signature, diagnostic=diagnostic,
                          reply_code=reply_code, status=status, **fields)


def corporate_behind(vendor: str, mx_host: str | None = None, **fields) -> dict:
    return {"domain_kind": "corporate", "mx_status": "ok", "mx_vendor": vendor, "mx_host": mx_host, **fields}


def pattern(delivered_before: int, rejections: int, delivered_after: int = 0, *, spacing: float = 4.0,
            domain: str = "acme.example") -> DomainPattern:
    """A domain that delivered ``delivered_before``, then rejected ``rejections`` (``spacing`` seconds
    apart), then delivered ``delivered_after`` more."""
    events = [(domain, at(i), "delivered") for i in range(delivered_before)]
    start = delivered_before
    events += [(domain, at(start + i * spacing), "bounce") for i in range(rejections)]
    start += rejections * spacing
    events += [(domain, at(start + i), "delivered") for i in range(delivered_after)]
    return domain_patterns(events)[domain]


def scattered(delivered: int, rejected_positions: set[int], domain: str = "big.example") -> DomainPattern:
    events = [(domain, at(i * 3), "bounce" if i in rejected_positions else "delivered")
              for i in range(delivered + len(rejected_positions))]
    return domain_patterns(events)[domain]


NO_HISTORY = RecipientHistory()
