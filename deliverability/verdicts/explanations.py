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
from deliverability.sentences import Number, Sentence, gettext, gettext_lazy, gettext_noop, override

from .vocabulary import VerdictKind

if TYPE_CHECKING:  # pragma: no cover
    from .diagnosis import CampaignDiagnosis

S = Sentence

# The by_vendor key of the bounces no known vendor answered (stored in English in the diagnoses and weekly
# snapshots; shown_vendor_name translates it where it is shown).
UNIDENTIFIED_VENDOR = gettext_noop("Unidentified (own or unknown server)")
ASK_IT_DOMAINS = 8  # domains named in the "ask the IT team" action
NO_RECIPIENTS = Sentence.gettext("No recipient has a send outcome in this campaign.")
COLLEAGUES_MIN = 3  # fewer accepted copies beside a refusal is not an argument worth the headline

GLOSSARY: dict[str, str] = {
    "ESP": gettext_lazy("Email service provider: the service that sends your campaigns (Mailchimp, SendGrid, …)."),
    "hard bounce": gettext_lazy("A refusal the receiving side calls permanent; ESPs stop mailing such addresses."),
    "soft bounce": gettext_lazy("A refusal the receiving side calls temporary (full mailbox, too much mail at once)."),
    "MX": gettext_lazy("The DNS entry that says which server receives a domain's email."),
    "security gateway": gettext_lazy("A filter a company places in front of its mailboxes; all mail passes through it first."),
    "blocklist": gettext_lazy("A public list of IP addresses and domains seen sending spam; many filters consult them."),
    "SPF/DKIM/DMARC": gettext_lazy("DNS-published checks that prove a message really comes from the sender's domain."),
    "allowlist": gettext_lazy("A list of senders a filter always lets through."),
    "suppress": gettext_lazy("Remove an address from future sends (the ESP keeps it on a do-not-mail list)."),
    "sending IP": gettext_lazy("The internet address of the server that sends your mail; filters judge its reputation."),
    "directory": gettext_lazy("The company's list of valid addresses; gateways keep a copy that can be out of date."),
}

# What each verdict means and what to do about it, in plain words ("summary" glosses the verdict's
# short label from VerdictKind).
VERDICT_EXPLANATIONS: dict[VerdictKind, dict[str, str]] = {
    VerdictKind.INVALID_RECIPIENT: {
        "summary": gettext_lazy("Address does not exist"),
        "meaning": gettext_lazy(
            "The address or its domain really does not exist (any more). In companies this is "
            "usually someone who has left; domains expire or stop receiving mail."
        ),
        "what_to_do": gettext_lazy("Suppress it (remove it from future sends). Mailing it again only hurts your reputation."),
    },
    VerdictKind.FILTER_REJECTION: {
        "summary": gettext_lazy("Refused by the company's filter"),
        "meaning": gettext_lazy(
            "A security gateway or mail policy at the recipient's company refused the message before "
            "it reached the mailbox, sometimes with a misleading \"user unknown\". The address is "
            "very likely valid."
        ),
        "what_to_do": gettext_lazy(
            "Keep the address. Find out why the filter refused (your sending reputation, sending "
            "speed, content) and ask the company's IT team to allowlist your sending domain and IP "
            "(put you on the list of senders the filter always lets through); then send again."
        ),
    },
    VerdictKind.SENDER_ISSUE: {
        "summary": gettext_lazy("Problem on the sending side"),
        "meaning": gettext_lazy(
            "The receiving side named a problem with the sending setup: the sending IP or domain is "
            "on a blocklist (a public list of suspected spam sources), has a poor reputation, fails "
            "SPF/DKIM/DMARC (the checks that prove the mail comes from your domain), or the content "
            "looked like spam."
        ),
        "what_to_do": gettext_lazy(
            "Keep the address, fix the sending setup (ask your ESP about the IP, check your domain's "
            "SPF/DKIM/DMARC records, request delisting), then send again."
        ),
    },
    VerdictKind.TEMPORARY: {
        "summary": gettext_lazy("Temporary problem"),
        "meaning": gettext_lazy("A full mailbox, too much mail arriving at once, or a passing technical fault."),
        "what_to_do": gettext_lazy("Keep the address and retry later; suppress it only if it keeps failing for weeks."),
    },
    VerdictKind.UNKNOWN: {
        "summary": gettext_lazy("Not enough information"),
        "meaning": gettext_lazy("The answer from the receiving side does not say enough to tell what happened."),
        "what_to_do": gettext_lazy("Review by hand, or keep the address and watch the next campaign."),
    },
}

VENDOR_CATEGORY_EXPLANATIONS: dict[str, dict[str, str]] = {
    "security_gateway": {
        "what_it_is": gettext_lazy(
            "A security gateway: a filter the company places in front of its mailboxes, so all mail "
            "passes through it first."
        ),
        "why_it_rejects": gettext_lazy(
            "It refuses mail on the sending IP's reputation, the content, the sending speed, or "
            "because the address is missing from its own copy of the company directory (the list "
            "of valid addresses), which can be out of date. Several gateways answer \"user unknown\" "
            "in those cases although the person exists."
        ),
        "what_fixes_it": gettext_lazy(
            "Check your sending IP with the vendor's reputation lookup, send more slowly to that "
            "company, and ask its IT team to allowlist your sending domain and IP and to check "
            "that the refused addresses are in the gateway's directory."
        ),
    },
    "mailbox_provider": {
        "what_it_is": gettext_lazy("A mailbox provider: the service that hosts the mailboxes themselves."),
        "why_it_rejects": gettext_lazy(
            "It refuses addresses that do not exist, mailboxes that are full or disabled, and "
            "mail from senders with a poor reputation or failing SPF/DKIM/DMARC (the checks that "
            "prove a message comes from the sender's domain). Business tenants add their own "
            "policies on top."
        ),
        "what_fixes_it": gettext_lazy(
            "Suppress the addresses that do not exist; for reputation or authentication refusals, "
            "fix the sending setup and use the provider's sender pages."
        ),
    },
    "hosting": {
        "what_it_is": gettext_lazy("A web-hosting company that also hosts the domain's mailboxes."),
        "why_it_rejects": gettext_lazy(
            "Shared hosting mail servers refuse on reputation blocklists (public lists of "
            "suspected spam sources) and strict volume limits, and they do report real missing "
            "mailboxes."
        ),
        "what_fixes_it": gettext_lazy("Slow down sending to these domains and check your sending IP against public blocklists."),
    },
}

# The glossary's terms as the reader's language names them (the keys above are the English terms the
# texts are searched for).
GLOSSARY_TERMS: dict[str, str] = {
    "ESP": gettext_lazy("ESP"),
    "hard bounce": gettext_lazy("hard bounce"),
    "soft bounce": gettext_lazy("soft bounce"),
    "MX": gettext_lazy("MX"),
    "security gateway": gettext_lazy("security gateway"),
    "blocklist": gettext_lazy("blocklist"),
    "SPF/DKIM/DMARC": gettext_lazy("SPF/DKIM/DMARC"),
    "allowlist": gettext_lazy("allowlist"),
    "suppress": gettext_lazy("suppress"),
    "sending IP": gettext_lazy("sending IP"),
    "directory": gettext_lazy("directory"),
}


# The kinds of receiving systems, as the glossary page names them.
VENDOR_CATEGORY_NAMES: dict[str, str] = {
    "security_gateway": gettext_lazy("security gateway"),
    "mailbox_provider": gettext_lazy("mailbox provider"),
    "hosting": gettext_lazy("web hosting"),
}


def glossary() -> list[tuple[str, str]]:
    """The glossary in the active language, sorted by term: (term, gloss)."""
    return sorted(((str(GLOSSARY_TERMS[term]), str(gloss)) for term, gloss in GLOSSARY.items()),
                  key=lambda item: item[0].lower())


def terms_in(*texts: str | None) -> dict[str, str]:
    """The glossary entries for the terms the texts use (for a tooltip or a footnote), in the active
    language. The texts are searched in English: pass the English text (the stored one)."""
    joined = " ".join(str(t) for t in texts if t).lower()
    found = {}
    for term, gloss in GLOSSARY.items():
        words = term.lower().split("/") if "/" in term else [term.lower()]
        if any(re.search(rf"\b{re.escape(word)}\b", joined) for word in words):
            found[str(GLOSSARY_TERMS[term])] = str(gloss)
    return found


def explain_vendor(vendor_id: str | None) -> dict:
    """What the vendor is, why it rejects, what fixes it, in the active language; category texts fill
    the gaps. A vendor's own texts are data (bounces/data/vendors.json), in the catalogues through
    verdicts/_catalogue.py."""
    vendor = get_vendor(vendor_id)
    if vendor is None:
        base = {
            "what_it_is": gettext("The receiving mail server could not be matched to a known vendor (often the "
                                  "company's own server)."),
            "why_it_rejects": gettext("It may refuse for any of the usual reasons; the bounce text says which."),
            "what_fixes_it": gettext("Follow the verdict for each address."),
        }
        return {"name": None, "category": None, "lookup_url": None, **base, "glossary": {}}
    texts = dict(VENDOR_CATEGORY_EXPLANATIONS.get(vendor.category, VENDOR_CATEGORY_EXPLANATIONS["mailbox_provider"]))
    with override("en"):
        english = {key: str(text) for key, text in texts.items()}
    english.update(vendor.explanation)
    texts = {key: str(text) for key, text in texts.items()}
    texts.update({key: gettext(text) for key, text in vendor.explanation.items()})
    return {"name": vendor.name, "category": vendor.category, "lookup_url": vendor.lookup_url, **texts,
            "glossary": terms_in(*english.values())}


def _points(rate: float) -> Sentence:
    points = rate * 100
    if 0 < points < 0.05:
        return S.gettext("less than 0.1 points")
    return S.ngettext("%(points)s point", "%(points)s points", 1 if round(points, 1) == 1.0 else 2,
                      points=Number(points, 1))


def _names(names: list[str], limit: int = 3) -> Sentence | str:
    shown = ", ".join(names[:limit])
    if len(names) > limit:
        more = len(names) - limit
        return S.ngettext("%(names)s and %(count)s more", "%(names)s and %(count)s more", more, names=shown, count=more)
    return shown


def _hard_source(d: CampaignDiagnosis) -> Sentence:
    """Whose hard/soft split the headline reads: the ESP's own label, or the reply code where the
    file gave none (the product's inference), or both, with counts."""
    if d.hard_inferred and not d.hard_labelled_by_esp:
        return S.gettext("(5xx replies: your file carries no hard/soft label, so we read the reply codes)")
    if d.hard_inferred:
        return S.gettext("(%(labelled)s labelled hard by your ESP, %(inferred)s read by us from 5xx replies that "
                         "carried no label)", labelled=d.hard_labelled_by_esp, inferred=d.hard_inferred)
    return S.gettext("(as your ESP labelled them)")


def _duration(seconds: int) -> Sentence:
    """"within the minute" (of the first refusal): a context of its own, the weekly page words it otherwise."""
    if seconds < 90:
        if seconds <= 60:
            return S.pgettext("of the first refusal", "within the minute")
        return S.pgettext("of the first refusal", "within two minutes")
    minutes = round(seconds / 60)
    return S.ngettext("within %(count)s minute", "within %(count)s minutes", minutes, count=minutes)


def colleagues_said(colleagues: Mapping | None) -> Sentence | None:
    """The colleagues' sentence as a sentence of the catalogue (None when nothing shows it)."""
    if not colleagues or colleagues.get("accepted", 0) < COLLEAGUES_MIN:
        return None
    accepted, refused = colleagues["accepted"], colleagues["refused"]
    copies = S.ngettext("%(count)s colleague's copy", "%(count)s colleagues' copies", accepted, count=accepted)
    messages = S.ngettext("%(count)s message", "%(count)s messages", refused, count=refused)
    params = {"domain": colleagues["domain"], "copies": copies, "within": _duration(colleagues["seconds"]),
              "messages": messages}
    if colleagues.get("vendor"):
        return S.gettext("At %(domain)s (behind %(vendor)s) the same company accepted %(copies)s %(within)s of its "
                         "first refusal and then refused %(messages)s: the filter turned the sender away, not the "
                         "people.", vendor=colleagues["vendor"], **params)
    return S.gettext("At %(domain)s the same company accepted %(copies)s %(within)s of its first refusal and then "
                     "refused %(messages)s: the filter turned the sender away, not the people.", **params)


def campaign_headline(diagnosis: CampaignDiagnosis) -> str:
    """The headline in English (stored beside its sentence, see ``headline_said``)."""
    return headline_said(diagnosis).english()


def headline_said(diagnosis: CampaignDiagnosis) -> Sentence:
    """One or two sentences: how much of the reported hard-bounce rate is real.

    Every part counts exactly what it names: when the subject is the reported hard bounces, the
    companies and vendors named are those behind the hard bounces refused by a filter, not those
    behind soft or temporary refusals. E.g. "Of your 11.2% hard bounces (as your ESP labelled them),
    about 2.1 points are addresses that really do not exist; 8.3 points were refused by the security
    gateways of 14 companies (Proofpoint, Mimecast), which very likely hold valid addresses."
    Each clause is one source text of the catalogues; clauses are joined by "; ".
    """
    d = diagnosis
    if not d.recipients:
        return S.gettext("This campaign has no recipients with a send outcome.")
    if not d.bounced:
        return S.ngettext("None of the %(count)s recipients bounced.", "None of the %(count)s recipients bounced.",
                          d.recipients, count=d.recipients)
    if d.reported_hard_bounced:
        subject = S.gettext("Of your %(rate)s%% hard bounces %(source)s",
                            rate=Number(d.reported_hard_bounce_rate * 100, 1), source=_hard_source(d))
        shares = d.hard_by_verdict
        companies_count, vendor_names, gateways = (
            d.hard_filter_companies, d.hard_filter_vendor_names, d.hard_filter_mostly_gateways)
        invalid = shares.get(VerdictKind.INVALID_RECIPIENT, 0)
    else:
        subject = S.gettext("Your ESP reported no hard bounces. Of your %(rate)s%% bounces",
                            rate=Number(d.bounced / d.recipients * 100, 1))
        shares = d.by_verdict
        companies_count, vendor_names, gateways = d.filter_companies, d.filter_vendor_names, d.filter_mostly_gateways
        invalid = shares.get(VerdictKind.INVALID_RECIPIENT, 0)
    rate = lambda count: count / d.recipients  # noqa: E731 - a local shorthand
    parts = [S.gettext("about %(points)s are addresses that really do not exist", points=_points(rate(invalid)))
             if invalid else S.gettext("none is an address that really does not exist")]
    if shares.get(VerdictKind.FILTER_REJECTION):
        points = _points(rate(shares[VerdictKind.FILTER_REJECTION]))
        companies = S.ngettext("%(count)s company", "%(count)s companies", companies_count, count=companies_count)
        if vendor_names and gateways:
            parts.append(S.gettext("%(points)s were refused by the security gateways of %(companies)s (%(names)s), "
                                   "which very likely hold valid addresses", points=points, companies=companies,
                                   names=_names(vendor_names)))
        elif vendor_names:
            parts.append(S.gettext("%(points)s were refused by the mail filters of %(companies)s (%(names)s), "
                                   "which very likely hold valid addresses", points=points, companies=companies,
                                   names=_names(vendor_names)))
        elif gateways:
            parts.append(S.gettext("%(points)s were refused by the security gateways of %(companies)s, which very "
                                   "likely hold valid addresses", points=points, companies=companies))
        else:
            parts.append(S.gettext("%(points)s were refused by the mail filters of %(companies)s, which very likely "
                                   "hold valid addresses", points=points, companies=companies))
    if shares.get(VerdictKind.SENDER_ISSUE):
        parts.append(S.gettext("%(points)s name a problem on your side (blocklist, authentication or content)",
                               points=_points(rate(shares[VerdictKind.SENDER_ISSUE]))))
    if shares.get(VerdictKind.TEMPORARY):
        parts.append(S.gettext("%(points)s are temporary (full mailboxes, rate limits, \"try again later\")",
                               points=_points(rate(shares[VerdictKind.TEMPORARY]))))
    if shares.get(VerdictKind.UNKNOWN):
        parts.append(S.gettext("%(points)s do not say enough to tell", points=_points(rate(shares[VerdictKind.UNKNOWN]))))
    sentences = [S.gettext("%(subject)s, %(clauses)s.", subject=subject, clauses=parts)]
    if d.invalid > invalid:
        others = d.invalid - invalid
        sentences.append(S.ngettext(
            "%(count)s more address that does not exist came back as a soft bounce or deferral.",
            "%(count)s more addresses that do not exist came back as soft bounces or deferrals.", others, count=others))
    colleagues = colleagues_said(d.colleagues)
    if colleagues:
        sentences.append(colleagues)
    return Sentence.join(sentences)


def vendor_display_name(vendor_id: str | None) -> str:
    vendor = get_vendor(vendor_id)
    if vendor:
        return vendor.name
    return vendor_id or UNIDENTIFIED_VENDOR


def shown_vendor_name(name: str) -> str:
    """A by_vendor key as its reader reads it: the unidentified key in the active language, a vendor's name
    (a product name) as it is."""
    return gettext(UNIDENTIFIED_VENDOR) if name == UNIDENTIFIED_VENDOR else name


def dns_unchecked_said(domains: int, addresses: int) -> Sentence:
    """The note of a diagnosis whose analysis could not check some domains' DNS (their verdicts carry the
    dns_unchecked evidence, see rules.dns_says_no_mail)."""
    return S.gettext(
        "DNS enrichment failed for %(domains)s of this campaign (no answer from the resolver in time): the verdicts "
        "of %(addresses)s there rest on the bounce text alone and are marked “DNS unchecked” in the list "
        "of bounced addresses (technical detail).",
        domains=S.ngettext("%(count)s domain", "%(count)s domains", domains, count=domains),
        addresses=S.ngettext("%(count)s bounced address", "%(count)s bounced addresses", addresses, count=addresses))


def partial_file_said(listed: int, sent_count: int) -> Sentence:
    """The note of a diagnosis whose file lists only part of the campaign's recipients."""
    return S.gettext(
        "The file lists %(listed)s of the campaign's %(sent)s recipients (e.g. a bounce-only export); rates use "
        "the sent count of %(sent)s, and delivered is the sent count minus the other outcomes. The B2B/B2C split "
        "of the sent count is not known.", listed=listed, sent=sent_count)


def _action(code: str, sentence: Sentence, **fields) -> dict:
    """A "what to do" item: its English text and its sentence (rendered in the reader's language)."""
    return {"code": code, **fields, "text": sentence.english(), "msg": sentence.to_json()}


def what_to_do(
    per_verdict: Mapping[str, int],
    recovered: int,
    per_vendor_verdict: Mapping[str | None, Mapping[str, int]],
    per_vendor_filter_domains: Mapping[str | None, set[str]],
    domains: Mapping[str, dict],
) -> list[dict]:
    """A short, ordered list of actions: {code, text, msg, count?, vendor?, url?, domains?}."""
    actions: list[dict] = []
    if recovered:
        actions.append(_action("keep", S.ngettext(
            "Keep %(count)s address your ESP reported as a hard bounce (or already suppressed): the receiving side "
            "refused the message, not the address. It is on the recovery list; mail it again once the causes below "
            "are fixed.",
            "Keep %(count)s addresses your ESP reported as hard bounces (or already suppressed): the receiving side "
            "refused the message, not the address. They are on the recovery list; mail them again once the causes "
            "below are fixed.", recovered, count=recovered), count=recovered))
    invalid = per_verdict.get(VerdictKind.INVALID_RECIPIENT, 0)
    if invalid:
        actions.append(_action("suppress", S.ngettext(
            "Suppress %(count)s address that really does not exist (the suppress list): mailing it again hurts your "
            "sending reputation.",
            "Suppress %(count)s addresses that really do not exist (the suppress list): mailing them again hurts "
            "your sending reputation.", invalid, count=invalid), count=invalid))
    sender = per_verdict.get(VerdictKind.SENDER_ISSUE, 0)
    if sender:
        actions.append(_action("fix_sending", S.ngettext(
            "%(count)s refusal names a problem on your side: a blocklisted or poorly rated sending IP, failing "
            "SPF/DKIM/DMARC (the checks that prove mail comes from your domain) or spam-like content. Ask your ESP "
            "which IP sent the campaign, check your domain's DNS records, and request delisting where the pages "
            "below allow it.",
            "%(count)s refusals name a problem on your side: a blocklisted or poorly rated sending IP, failing "
            "SPF/DKIM/DMARC (the checks that prove mail comes from your domain) or spam-like content. Ask your ESP "
            "which IP sent the campaign, check your domain's DNS records, and request delisting where the pages "
            "below allow it.", sender, count=sender), count=sender))
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
            parts.append(S.ngettext("%(count)s at %(companies)s company without naming a reason on your side",
                                    "%(count)s at %(companies)s companies without naming a reason on your side",
                                    len(where), count=refused, companies=len(where)))
        if blocked:
            parts.append(S.ngettext("%(count)s naming your sending setup", "%(count)s naming your sending setup",
                                    blocked, count=blocked))
        sentences = [S.ngettext("%(vendor)s refused %(count)s message: %(reasons)s.",
                                "%(vendor)s refused %(count)s messages: %(reasons)s.", refused + blocked,
                                vendor=vendor.name, count=refused + blocked, reasons=parts)]
        if vendor.lookup_url:
            sentences.append(S.gettext("Check your sending IP's reputation with %(vendor)s at %(url)s and request "
                                       "delisting if it is listed.", vendor=vendor.name, url=vendor.lookup_url))
        if refused and vendor.category == "security_gateway":
            sentences.append(S.gettext("Ask those companies to allowlist your sending domain and IP in %(vendor)s.",
                                       vendor=vendor.name))
        actions.append(_action("vendor", Sentence.join(sentences), vendor=vendor.name, url=vendor.lookup_url,
                               count=refused + blocked, domains=where[:ASK_IT_DOMAINS]))
    filter_domains = sorted({d for ds in per_vendor_filter_domains.values() for d in ds},
                            key=lambda d: (-domains[d]["by_verdict"][VerdictKind.FILTER_REJECTION], d))
    if filter_domains:
        shown = ", ".join(filter_domains[:ASK_IT_DOMAINS])
        more = len(filter_domains) - ASK_IT_DOMAINS
        where = (S.ngettext("%(names)s and %(count)s more", "%(names)s and %(count)s more", more, names=shown,
                            count=more) if more > 0 else shown)
        actions.append(_action("ask_it_team", S.gettext(
            "Ask the IT team at %(domains)s: (1) to allowlist your sending domain and IP in their mail gateway (the "
            "filter in front of their mailboxes); (2) to check that the refused addresses are in the gateway's "
            "directory (its copy of their address list); (3) to look up the refused messages in the gateway's log, "
            "by time, and tell you the reason it recorded.", domains=where), domains=filter_domains[:ASK_IT_DOMAINS]))
    temporary = per_verdict.get(VerdictKind.TEMPORARY, 0)
    if temporary:
        actions.append(_action("retry", S.ngettext(
            "Retry %(count)s address later (full mailboxes, rate limits, passing faults); suppress it only if it "
            "keeps failing for several weeks.",
            "Retry %(count)s addresses later (full mailboxes, rate limits, passing faults); suppress them only if "
            "they keep failing for several weeks.", temporary, count=temporary), count=temporary))
    unknown = per_verdict.get(VerdictKind.UNKNOWN, 0)
    if unknown:
        actions.append(_action("review", S.ngettext(
            "Review %(count)s address by hand: the answer does not say enough.",
            "Review %(count)s addresses by hand: the answer does not say enough.", unknown, count=unknown),
            count=unknown))
    return actions
