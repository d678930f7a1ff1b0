"""Plain-language texts for clients: what each verdict means, what each kind of receiving system
(and each major vendor) is, why it refuses mail, what fixes it; and the campaign headline.

Rule for every text here: no jargon without a one-line gloss (see ``GLOSSARY``). What each major
vendor is and why it refuses is data, with its public sources, in bounces/data/vendors.json.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from deliverability.bounces.vendors import get_vendor

from .vocabulary import VerdictKind

if TYPE_CHECKING:  # pragma: no cover
    from .diagnosis import CampaignDiagnosis

UNIDENTIFIED_VENDOR = "Unidentified (own or unknown server)"
ASK_IT_DOMAINS = 8  # domains named in the "ask the IT team" action
NO_RECIPIENTS_NOTE = "No recipient has a send outcome in this campaign."
COLLEAGUES_MIN = 3  # fewer accepted copies beside a refusal is not an argument worth the headline

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

# What each verdict means and what to do about it, in plain words ("summary" glosses the verdict's
# short label from VerdictKind).
VERDICT_EXPLANATIONS: dict[VerdictKind, dict[str, str]] = {
    VerdictKind.INVALID_RECIPIENT: {
        "summary": "Address does not exist",
        "meaning": (
            "The address or its domain really does not exist (any more). In companies this is "
            "usually someone who has left; domains expire or stop receiving mail."
        ),
        "what_to_do": "Suppress it (remove it from future sends). Mailing it again only hurts your reputation.",
    },
    VerdictKind.FILTER_REJECTION: {
        "summary": "Refused by the company's filter",
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
    VerdictKind.SENDER_ISSUE: {
        "summary": "Problem on the sending side",
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
    VerdictKind.TEMPORARY: {
        "summary": "Temporary problem",
        "meaning": "A full mailbox, too much mail arriving at once, or a passing technical fault.",
        "what_to_do": "Keep the address and retry later; suppress it only if it keeps failing for weeks.",
    },
    VerdictKind.UNKNOWN: {
        "summary": "Not enough information",
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

def terms_in(*texts: str | None) -> dict[str, str]:
    """The glossary entries for the terms the texts use (for a tooltip or a footnote)."""
    joined = " ".join(t for t in texts if t).lower()
    found = {}
    for term, gloss in GLOSSARY.items():
        words = term.lower().split("/") if "/" in term else [term.lower()]
        if any(re.search(rf"\b{re.escape(word)}\b", joined) for word in words):
            found[term] = gloss
    return found


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
    texts.update(vendor.explanation)
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


def _hard_source(d: CampaignDiagnosis) -> str:
    """Whose hard/soft split the headline reads: the ESP's own label, or the reply code where the
    file gave none (the product's inference), or both, with counts."""
    if d.hard_inferred and not d.hard_labelled_by_esp:
        return "(5xx replies: your file carries no hard/soft label, so we read the reply codes)"
    if d.hard_inferred:
        return (f"({d.hard_labelled_by_esp} labelled hard by your ESP, {d.hard_inferred} read by us from "
                "5xx replies that carried no label)")
    return "(as your ESP labelled them)"


def _duration(seconds: int) -> str:
    if seconds < 90:
        return "within the minute" if seconds <= 60 else "within two minutes"
    return f"within {round(seconds / 60)} minutes"


def colleagues_sentence(colleagues: Mapping | None) -> str:
    """"At northwind-freight.com the same company accepted 8 colleagues' copies within 3 minutes of
    its first refusal": the people exist, the filter refused the sender. Empty when nothing shows it."""
    if not colleagues or colleagues.get("accepted", 0) < COLLEAGUES_MIN:
        return ""
    vendor = f" (behind {colleagues['vendor']})" if colleagues.get("vendor") else ""
    copies = f"{colleagues['accepted']} colleague{'s' if colleagues['accepted'] != 1 else ''}' cop" + (
        "ies" if colleagues["accepted"] != 1 else "y")
    refused = colleagues["refused"]
    return (f"At {colleagues['domain']}{vendor} the same company accepted {copies} {_duration(colleagues['seconds'])} "
            f"of its first refusal and then refused {refused} message{'s' if refused != 1 else ''}: "
            "the filter turned the sender away, not the people.")


def campaign_headline(diagnosis: CampaignDiagnosis) -> str:
    """One or two sentences: how much of the reported hard-bounce rate is real.

    Every part counts exactly what it names: when the subject is the reported hard bounces, the
    companies and vendors named are those behind the hard bounces refused by a filter, not those
    behind soft or temporary refusals. E.g. "Of your 11.2% hard bounces (as your ESP labelled them),
    about 2.1 points are addresses that really do not exist; 8.3 points were refused by the security
    gateways of 14 companies (Proofpoint, Mimecast), which very likely hold valid addresses."
    """
    d = diagnosis
    if not d.recipients:
        return "This campaign has no recipients with a send outcome."
    if not d.bounced:
        return f"None of the {d.recipients} recipients bounced."
    if d.reported_hard_bounced:
        subject = f"Of your {d.reported_hard_bounce_rate * 100:.1f}% hard bounces {_hard_source(d)}"
        shares = d.hard_by_verdict
        companies_count, vendor_names, gateways = (
            d.hard_filter_companies, d.hard_filter_vendor_names, d.hard_filter_mostly_gateways)
        invalid = shares.get(VerdictKind.INVALID_RECIPIENT, 0)
    else:
        subject = f"Your ESP reported no hard bounces. Of your {d.bounced / d.recipients * 100:.1f}% bounces"
        shares = d.by_verdict
        companies_count, vendor_names, gateways = d.filter_companies, d.filter_vendor_names, d.filter_mostly_gateways
        invalid = shares.get(VerdictKind.INVALID_RECIPIENT, 0)
    rate = lambda count: count / d.recipients  # noqa: E731 - a local shorthand
    parts = [f"about {_points(rate(invalid))} are addresses that really do not exist" if invalid
             else "none is an address that really does not exist"]
    if shares.get(VerdictKind.FILTER_REJECTION):
        kind = "security gateways" if gateways else "mail filters"
        who = f" ({_names(vendor_names)})" if vendor_names else ""
        companies = f"{companies_count} compan{'y' if companies_count == 1 else 'ies'}"
        parts.append(
            f"{_points(rate(shares[VerdictKind.FILTER_REJECTION]))} were refused by the {kind} of {companies}{who}, "
            "which very likely hold valid addresses"
        )
    if shares.get(VerdictKind.SENDER_ISSUE):
        parts.append(
            f"{_points(rate(shares[VerdictKind.SENDER_ISSUE]))} name a problem on your side (blocklist, "
            "authentication or content)"
        )
    if shares.get(VerdictKind.TEMPORARY):
        parts.append(f"{_points(rate(shares[VerdictKind.TEMPORARY]))} are temporary (full mailboxes, rate limits, "
                     "\"try again later\")")
    if shares.get(VerdictKind.UNKNOWN):
        parts.append(f"{_points(rate(shares[VerdictKind.UNKNOWN]))} do not say enough to tell")
    headline = f"{subject}, " + "; ".join(parts) + "."
    if d.invalid > invalid:
        others = d.invalid - invalid
        headline += (f" {others} more address{'es' if others != 1 else ''} that do not exist came back as soft "
                     "bounces or deferrals.")
    colleagues = colleagues_sentence(d.colleagues)
    return f"{headline} {colleagues}" if colleagues else headline


def vendor_display_name(vendor_id: str | None) -> str:
    vendor = get_vendor(vendor_id)
    if vendor:
        return vendor.name
    return vendor_id or UNIDENTIFIED_VENDOR


def dns_unchecked_note(domains: int, addresses: int) -> str:
    """The note of a diagnosis whose analysis could not check some domains' DNS (their verdicts carry the
    dns_unchecked evidence, see rules.dns_says_no_mail)."""
    return (
        f"DNS enrichment failed for {domains} domain{'s' if domains != 1 else ''} of this campaign (no answer "
        f"from the resolver in time): the verdicts of {addresses} bounced address{'es' if addresses != 1 else ''} "
        "there rest on the bounce text alone and are marked \u201cDNS unchecked\u201d in the list of bounced "
        "addresses (technical detail)."
    )


def partial_file_note(listed: int, sent_count: int) -> str:
    """The note of a diagnosis whose file lists only part of the campaign's recipients."""
    return (
        f"The file lists {listed} of the campaign's {sent_count} recipients (e.g. a bounce-only "
        f"export); rates use the sent count of {sent_count}, and delivered is the sent count minus "
        "the other outcomes. The B2B/B2C split of the sent count is not known."
    )


def what_to_do(
    per_verdict: Mapping[str, int],
    recovered: int,
    per_vendor_verdict: Mapping[str | None, Mapping[str, int]],
    per_vendor_filter_domains: Mapping[str | None, set[str]],
    domains: Mapping[str, dict],
) -> list[dict]:
    """A short, ordered list of actions: {code, text, count?, vendor?, url?, domains?}."""
    actions: list[dict] = []
    if recovered:
        actions.append({
            "code": "keep", "count": recovered,
            "text": (f"Keep {recovered} address{'es' if recovered != 1 else ''} your ESP reported as hard "
                     "bounces (or already suppressed): the receiving side refused the message, not the "
                     "address. They are on the recovery list; mail them again once the causes below are fixed."),
        })
    invalid = per_verdict.get(VerdictKind.INVALID_RECIPIENT, 0)
    if invalid:
        actions.append({
            "code": "suppress", "count": invalid,
            "text": (f"Suppress {invalid} address{'es' if invalid != 1 else ''} that really do not exist "
                     "(the suppress list): mailing them again hurts your sending reputation."),
        })
    sender = per_verdict.get(VerdictKind.SENDER_ISSUE, 0)
    if sender:
        actions.append({
            "code": "fix_sending", "count": sender,
            "text": (f"{sender} refusal{'s' if sender != 1 else ''} name a problem on your side: a blocklisted "
                     "or poorly rated sending IP, failing SPF/DKIM/DMARC (the checks that prove mail comes "
                     "from your domain) or spam-like content. Ask your ESP which IP sent the campaign, check "
                     "your domain's DNS records, and request delisting where the pages below allow it."),
        })
    for vendor_id, counts in sorted(per_vendor_verdict.items(), key=lambda item: -sum(item[1].values())):
        vendor = get_vendor(vendor_id)
        if vendor is None:
            continue
        refused = counts.get(VerdictKind.FILTER_REJECTION, 0)
        blocked = counts.get(VerdictKind.SENDER_ISSUE, 0)
        if not (refused or blocked):
            continue
        where = sorted(per_vendor_filter_domains.get(vendor_id, set()),
                       key=lambda d: -domains[d]["bounced"])
        parts = []
        if refused:
            parts.append(f"{refused} at {len(where)} compan{'y' if len(where) == 1 else 'ies'} "
                         "without naming a reason on your side")
        if blocked:
            parts.append(f"{blocked} naming your sending setup")
        check = (f" Check your sending IP's reputation with {vendor.name} at {vendor.lookup_url} and request "
                 "delisting if it is listed." if vendor.lookup_url else "")
        allow = (" Ask those companies to allowlist your sending domain and IP in "
                 f"{vendor.name}." if refused and vendor.category == "security_gateway" else "")
        actions.append({
            "code": "vendor", "vendor": vendor.name, "url": vendor.lookup_url,
            "count": refused + blocked, "domains": where[:ASK_IT_DOMAINS],
            "text": f"{vendor.name} refused {refused + blocked} message{'s' if refused + blocked != 1 else ''}: "
                    f"{'; '.join(parts)}.{check}{allow}",
        })
    filter_domains = sorted({d for ds in per_vendor_filter_domains.values() for d in ds},
                            key=lambda d: (-domains[d]["by_verdict"][VerdictKind.FILTER_REJECTION], d))
    if filter_domains:
        shown = ", ".join(filter_domains[:ASK_IT_DOMAINS])
        more = f" and {len(filter_domains) - ASK_IT_DOMAINS} more" if len(filter_domains) > ASK_IT_DOMAINS else ""
        actions.append({
            "code": "ask_it_team", "domains": filter_domains[:ASK_IT_DOMAINS],
            "text": (f"Ask the IT team at {shown}{more}: (1) to allowlist your sending domain and IP in their "
                     "mail gateway (the filter in front of their mailboxes); (2) to check that the refused "
                     "addresses are in the gateway's directory (its copy of their address list); (3) to look up "
                     "the refused messages in the gateway's log, by time, and tell you the reason it recorded."),
        })
    temporary = per_verdict.get(VerdictKind.TEMPORARY, 0)
    if temporary:
        actions.append({
            "code": "retry", "count": temporary,
            "text": (f"Retry {temporary} address{'es' if temporary != 1 else ''} later (full mailboxes, rate "
                     "limits, passing faults); suppress them only if they keep failing for several weeks."),
        })
    unknown = per_verdict.get(VerdictKind.UNKNOWN, 0)
    if unknown:
        actions.append({
            "code": "review", "count": unknown,
            "text": f"Review {unknown} address{'es' if unknown != 1 else ''} by hand: the answer does not say enough.",
        })
    return actions
