"""Plain-language texts for clients: what each verdict means, what each kind of receiving system
(and each major vendor) is, why it refuses mail, what fixes it; and the campaign headline.

Rule for every text here: no jargon without a one-line gloss (see ``GLOSSARY``). Vendor facts
come from ../shared/research/vendors.md.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deliverability.bounces.vendors import get_vendor

if TYPE_CHECKING:  # pragma: no cover
    from .diagnosis import CampaignDiagnosis

GLOSSARY: dict[str, str] = {
    "ESP": "Email service provider: the service that sends your campaigns (Mailchimp, SendGrid, …).",
    "hard bounce": "A refusal the receiving side calls permanent; ESPs stop mailing such addresses.",
    "soft bounce": "A refusal the receiving side calls temporary (full mailbox, too much mail at once).",
    "MX": "The DNS entry that says which server receives a domain's email.",
    "security gateway": "A filter a company places in front of its mailboxes; all mail passes through it first.",
    "blocklist": "A public list of IP addresses and domains seen sending spam; many filters consult them.",
    "SPF/DKIM/DMARC": "DNS-published checks that prove a message really comes from the sender's domain.",
    "allowlist": "A list of senders a filter always lets through.",
    "suppress": "Remove an address from future sends (the ESP keeps it on a do-not-mail list).",
    "sending IP": "The internet address of the server that sends your mail; filters judge its reputation.",
    "directory": "The company's list of valid addresses; gateways keep a copy that can be out of date.",
}

VERDICT_EXPLANATIONS: dict[str, dict[str, str]] = {
    "invalid_recipient": {
        "label": "Address does not exist",
        "meaning": (
            "The address or its domain really does not exist (any more). In companies this is "
            "usually someone who has left; domains expire or stop receiving mail."
        ),
        "what_to_do": "Suppress it (remove it from future sends). Mailing it again only hurts your reputation.",
    },
    "filter_rejection": {
        "label": "Refused by the company's filter",
        "meaning": (
            "A security gateway or mail policy at the recipient's company refused the message before "
            "it reached the mailbox, sometimes with a misleading \"user unknown\". The address is "
            "very likely valid."
        ),
        "what_to_do": (
            "Keep the address. Find out why the filter refused (your sending reputation, sending "
            "speed, content) and ask the company's IT team to allowlist your sending domain and IP "
            "(put you on the list of senders the filter always lets through); then send again."
        ),
    },
    "sender_issue": {
        "label": "Problem on the sending side",
        "meaning": (
            "The receiving side named a problem with the sending setup: the sending IP or domain is "
            "on a blocklist (a public list of suspected spam sources), has a poor reputation, fails "
            "SPF/DKIM/DMARC (the checks that prove the mail comes from your domain), or the content "
            "looked like spam."
        ),
        "what_to_do": (
            "Keep the address, fix the sending setup (ask your ESP about the IP, check your domain's "
            "SPF/DKIM/DMARC records, request delisting), then send again."
        ),
    },
    "temporary": {
        "label": "Temporary problem",
        "meaning": "A full mailbox, too much mail arriving at once, or a passing technical fault.",
        "what_to_do": "Keep the address and retry later; suppress it only if it keeps failing for weeks.",
    },
    "unknown": {
        "label": "Not enough information",
        "meaning": "The answer from the receiving side does not say enough to tell what happened.",
        "what_to_do": "Review by hand, or keep the address and watch the next campaign.",
    },
}

VENDOR_CATEGORY_EXPLANATIONS: dict[str, dict[str, str]] = {
    "security_gateway": {
        "what_it_is": (
            "A security gateway: a filter the company places in front of its mailboxes, so all mail "
            "passes through it first."
        ),
        "why_it_rejects": (
            "It refuses mail on the sending IP's reputation, the content, the sending speed, or "
            "because the address is missing from its own copy of the company directory (the list "
            "of valid addresses), which can be out of date. Several gateways answer \"user unknown\" "
            "in those cases although the person exists."
        ),
        "what_fixes_it": (
            "Check your sending IP with the vendor's reputation lookup, send more slowly to that "
            "company, and ask its IT team to allowlist your sending domain and IP and to check "
            "that the refused addresses are in the gateway's directory."
        ),
    },
    "mailbox_provider": {
        "what_it_is": "A mailbox provider: the service that hosts the mailboxes themselves.",
        "why_it_rejects": (
            "It refuses addresses that do not exist, mailboxes that are full or disabled, and "
            "mail from senders with a poor reputation or failing SPF/DKIM/DMARC (the checks that "
            "prove a message comes from the sender's domain). Business tenants add their own "
            "policies on top."
        ),
        "what_fixes_it": (
            "Suppress the addresses that do not exist; for reputation or authentication refusals, "
            "fix the sending setup and use the provider's sender pages."
        ),
    },
    "hosting": {
        "what_it_is": "A web-hosting company that also hosts the domain's mailboxes.",
        "why_it_rejects": (
            "Shared hosting mail servers refuse on reputation blocklists (public lists of "
            "suspected spam sources) and strict volume limits, and they do report real missing "
            "mailboxes."
        ),
        "what_fixes_it": "Slow down sending to these domains and check your sending IP against public blocklists.",
    },
}

# Per major vendor: only what differs from the category text. Sources: research/vendors.md §2b.
VENDOR_EXPLANATIONS: dict[str, dict[str, str]] = {
    "proofpoint": {
        "what_it_is": "Proofpoint is a security gateway used by many large companies.",
        "why_it_rejects": (
            "It blocks sending IPs with a poor reputation (\"Blocked - see ipcheck.proofpoint.com\") "
            "and can check addresses against the company's directory (its list of valid addresses) before "
            "accepting mail."
        ),
    },
    "proofpoint_essentials": {
        "what_it_is": "Proofpoint Essentials is Proofpoint's security gateway for smaller companies.",
        "why_it_rejects": (
            "Its directory discovery marks addresses it has not seen as invalid (\"User email "
            "address is marked as invalid\"), even when the mailbox exists."
        ),
    },
    "mimecast": {
        "what_it_is": "Mimecast is a security gateway that checks every message before the company's mail server.",
        "why_it_rejects": (
            "\"Invalid Recipient\" means its own recipient check (its copy of the company directory, "
            "or a question to the company's mail server) did not find the address; it also refuses "
            "on the sending IP's reputation, forged-sender rules and content policies."
        ),
    },
    "barracuda": {
        "what_it_is": "Barracuda is a security gateway, common at mid-sized companies.",
        "why_it_rejects": (
            "It consults the Barracuda Reputation blocklist (a list of suspected spam sources) and "
            "local policies; a plain \"blocked\" is a local policy decision."
        ),
    },
    "cisco": {
        "what_it_is": "Cisco Secure Email (formerly IronPort) is a security gateway run by many enterprises.",
        "why_it_rejects": (
            "It scores senders with Cisco Talos reputation data and can refuse addresses missing from "
            "its copy of the company directory (\"#5.1.0 Address rejected\")."
        ),
    },
    "microsoft365": {
        "what_it_is": "Microsoft 365 hosts the company's mailboxes and filters mail in front of them.",
        "why_it_rejects": (
            "\"550 5.4.1 Access denied\" comes from Directory-Based Edge Blocking: the address is "
            "missing from the company's Microsoft 365 directory, which is usually right but can lag behind; "
            "\"banned sending IP\" and \"blocked using Spamhaus\" are about your sending IP."
        ),
        "what_fixes_it": (
            "Suppress addresses the company confirms are gone; for IP refusals use Microsoft's "
            "delisting page (sender.office.com)."
        ),
    },
    "google_workspace": {
        "what_it_is": "Google Workspace hosts the company's mailboxes on Gmail's infrastructure.",
        "why_it_rejects": "It reports real missing or disabled accounts and refuses mail with poor reputation or authentication.",
    },
    "trendmicro": {
        "what_it_is": "Trend Micro Email Security is a security gateway.",
        "why_it_rejects": (
            "\"Recipient address rejected: Access denied\" means the address is missing from the "
            "list of valid addresses the company loaded into the gateway, often only for some addresses."
        ),
        "what_fixes_it": "Ask the company's IT team to add the refused addresses to the gateway's directory.",
    },
    "broadcom": {
        "what_it_is": "Broadcom Email Security.cloud (formerly Symantec MessageLabs) is a security gateway.",
        "why_it_rejects": "It filters on content and sender reputation, and it does report real unknown recipients.",
    },
    "sophos": {
        "what_it_is": "Sophos Email is a security gateway.",
        "why_it_rejects": "It refuses recipients not found in the company's Sophos Central directory (its list of valid addresses).",
    },
    "gmail": {
        "what_it_is": "Gmail is a consumer mailbox provider.",
        "why_it_rejects": (
            "It rarely fakes an unknown user: unwanted mail goes to the spam folder instead. A "
            "\"does not exist\" from Gmail is real."
        ),
    },
    "outlook_com": {
        "what_it_is": "Outlook.com (Hotmail, Live) is Microsoft's consumer mailbox service.",
        "why_it_rejects": "Missing-mailbox answers are real; refusals naming your IP are about sending reputation.",
    },
    "yahoo": {
        "what_it_is": "Yahoo and AOL Mail are consumer mailbox providers.",
        "why_it_rejects": (
            "\"This user doesn't have an account\" is real; codes such as TSS04 mean Yahoo is holding "
            "back mail from your IP or sending domain (volume, complaints, reputation or missing authentication)."
        ),
    },
}


def terms_in(*texts: str | None) -> dict[str, str]:
    """The glossary entries for the terms the texts use (for a tooltip or a footnote)."""
    joined = " ".join(t for t in texts if t).lower()
    found = {}
    for term, gloss in GLOSSARY.items():
        words = term.lower().split("/") if "/" in term else [term.lower()]
        if any(re.search(rf"\b{re.escape(word)}\b", joined) for word in words):
            found[term] = gloss
    return found


def explain_verdict(verdict: str) -> dict:
    texts = dict(VERDICT_EXPLANATIONS.get(verdict, VERDICT_EXPLANATIONS["unknown"]))
    return {**texts, "glossary": terms_in(*texts.values())}


def explain_vendor(vendor_id: str | None) -> dict:
    """What the vendor is, why it rejects, what fixes it; category texts fill the gaps."""
    vendor = get_vendor(vendor_id)
    if vendor is None:
        base = {
            "what_it_is": "The receiving mail server could not be matched to a known vendor (often the company's own server).",
            "why_it_rejects": "It may refuse for any of the usual reasons; the bounce text says which.",
            "what_fixes_it": "Follow the verdict for each address.",
        }
        return {"name": None, "category": None, "lookup_url": None, **base, "glossary": {}}
    texts = dict(VENDOR_CATEGORY_EXPLANATIONS.get(vendor.category, VENDOR_CATEGORY_EXPLANATIONS["mailbox_provider"]))
    texts.update(VENDOR_EXPLANATIONS.get(vendor.id, {}))
    return {"name": vendor.name, "category": vendor.category, "lookup_url": vendor.lookup_url, **texts,
            "glossary": terms_in(*texts.values())}


def _points(rate: float) -> str:
    points = rate * 100
    if 0 < points < 0.05:
        return "less than 0.1 points"
    return f"{points:.1f} point{'' if round(points, 1) == 1.0 else 's'}"


def _names(names: list[str], limit: int = 3) -> str:
    shown = names[:limit]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(shown) + more


def campaign_headline(diagnosis: CampaignDiagnosis) -> str:
    """One or two sentences: how much of the reported hard-bounce rate is real.

    E.g. "Of your 11.2% hard bounces, about 2.1 points are addresses that really do not exist;
    8.3 points were refused by the security gateways of 14 companies (Proofpoint, Mimecast),
    which very likely hold valid addresses."
    """
    d = diagnosis
    if not d.recipients:
        return "This campaign has no recipients with a send outcome."
    if not d.bounced:
        return f"None of the {d.recipients} recipients bounced."
    if d.reported_hard_bounced:
        subject = f"Of your {d.reported_hard_bounce_rate * 100:.1f}% hard bounces (as your ESP reported them)"
        shares = d.hard_by_verdict
    else:
        subject = f"Your ESP reported no hard bounces. Of your {d.bounced / d.recipients * 100:.1f}% bounces"
        shares = d.by_verdict
    rate = lambda count: count / d.recipients  # noqa: E731 - a local shorthand
    parts = [f"about {_points(d.estimated_invalid_rate)} are addresses that really do not exist"]
    if shares.get("filter_rejection"):
        kind = "security gateways" if d.filter_mostly_gateways else "mail filters"
        who = f" ({_names(d.filter_vendor_names)})" if d.filter_vendor_names else ""
        companies = f"{d.filter_companies} compan{'y' if d.filter_companies == 1 else 'ies'}"
        parts.append(
            f"{_points(rate(shares['filter_rejection']))} were refused by the {kind} of {companies}{who}, "
            "which very likely hold valid addresses"
        )
    if shares.get("sender_issue"):
        parts.append(
            f"{_points(rate(shares['sender_issue']))} name a problem on your side (blocklist, "
            "authentication or content)"
        )
    if shares.get("temporary"):
        parts.append(f"{_points(rate(shares['temporary']))} are temporary (full mailboxes, rate limits)")
    if shares.get("unknown"):
        parts.append(f"{_points(rate(shares['unknown']))} do not say enough to tell")
    return f"{subject}, " + "; ".join(parts) + "."
