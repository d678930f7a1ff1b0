"""The verdict rules: small named functions, each reading ``RecipientFacts`` and casting votes.

Each rule returns a list of ``Evidence`` (possibly empty). A vote is a verdict and a weight from
``weights.py``; a weight of 0 is a plain statement that helps the reader but decides nothing.
Texts are sentences a client can read. Text from the receiving server is untrusted: it appears
only through ``quote`` (one line, control characters removed, truncated, in quotes). No HTML is
built here; escaping is the template's job.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from deliverability.bounces.sender import sender_problem_named
from deliverability.bounces.vendors import vendor_name
from deliverability.domains.resolver import TRANSIENT_STATUSES  # answers that leave a domain's state unknown
from deliverability.sentences import Sentence, gettext_noop

from . import weights as w
from .facts import DomainPattern, RecipientFacts, reply_class
from .vocabulary import VerdictKind


@dataclass(frozen=True, slots=True)
class Evidence:
    code: str  # stable identifier, e.g. "gateway_directory_unknown"
    text: str  # a plain sentence for the client, in English (given as a Sentence, see __post_init__)
    verdict: VerdictKind  # the verdict this supports
    weight: float = 0.0  # log-odds vote; 0 = context only
    # The sentence's JSON (deliverability.sentences): stored with the item, rendered in the reader's
    # language by the pages (issue 23); the English ``text`` is what the CSV files and the tests read.
    msg: dict | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.text, Sentence):
            object.__setattr__(self, "msg", self.text.to_json())
            object.__setattr__(self, "text", self.text.english())

    def as_item(self) -> dict:
        if self.msg:
            return {"code": self.code, "text": self.text, "msg": self.msg}
        return {"code": self.code, "text": self.text}


Rule = Callable[[RecipientFacts], list[Evidence]]
S = Sentence

# Claims that a gateway may make for reasons other than the address: these are the answers a
# domain- or vendor-wide pattern can explain away. Sender-side, temporary and DNS claims are not.
SUSPECT_CATEGORIES = frozenset({"invalid_mailbox", "mailbox_disabled", "policy_block", "unknown", None})
# Signature classes (bounce engine) that claim the user does not exist, wherever the category
# put them: an "unknown user" after DATA or under a 5.7.x status is filed as policy_block.
UNKNOWN_USER_SIGNATURES = frozenset({
    "user_unknown", "gateway_directory_unknown", "user_unknown_unconfirmed", "user_unknown_after_data",
    "user_moved",
})


def says_unknown_user(f: RecipientFacts) -> bool:
    """The answer claims the mailbox does not exist (the claim history can contradict)."""
    return f.category == "invalid_mailbox" or (
        f.signature_class in UNKNOWN_USER_SIGNATURES and f.category in SUSPECT_CATEGORIES)


def says_mailbox_gone(f: RecipientFacts) -> bool:
    """…or that it is disabled: either way, the person may have left."""
    return says_unknown_user(f) or f.category == "mailbox_disabled"


# --- Text helpers ------------------------------------------------------------------------------

_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\s]+")


def quote(text: str | None, limit: int = w.QUOTE_LIMIT) -> str:
    """Untrusted text as one short quoted line: whitespace and control/bidi characters collapsed,
    double quotes turned into single ones, cut at ``limit`` characters with an ellipsis."""
    if not text:
        return '""'
    line = _INVISIBLE.sub(" ", str(text)).strip().replace('"', "'")
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return f'"{line}"'


def with_quote(sentence: Sentence, diagnostic: str | None) -> Sentence:
    """``sentence`` ends with a full stop; add ': "…"' when there is text to quote (the reply itself
    stays verbatim in every language)."""
    if not diagnostic or not diagnostic.strip():
        return S.gettext("%(statement)s.", statement=sentence)
    return S.gettext("%(statement)s: %(reply)s.", statement=sentence, reply=quote(diagnostic))


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def duration(seconds: float | None) -> Sentence:
    if seconds is None:
        return S.gettext("an unknown time")
    if seconds < 90:
        n = max(1, round(seconds))
        return S.ngettext("%(count)s second", "%(count)s seconds", n, count=n)
    if seconds < 90 * 60:
        n = round(seconds / 60)
        return S.ngettext("%(count)s minute", "%(count)s minutes", n, count=n)
    n = round(seconds / 3600)
    return S.ngettext("%(count)s hour", "%(count)s hours", n, count=n)


def day(moment: datetime) -> str:
    return moment.date().isoformat()


def _age(reference: datetime | None, moment: datetime | None) -> timedelta | None:
    """reference − moment, tolerating a naive/aware mix (treated as the same clock)."""
    if reference is None or moment is None:
        return None
    if (reference.tzinfo is None) != (moment.tzinfo is None):
        reference, moment = reference.replace(tzinfo=None), moment.replace(tzinfo=None)
    return reference - moment


# --- What the text says about the sender --------------------------------------------------------
# The wording is the bounce engine's (bounces.sender, data in phrases.json "sender_named").


def names_sender_problem(f: RecipientFacts) -> bool:
    return sender_problem_named(f.diagnostic) is not None


# A temporary (4xx) refusal is throttling or a deferral (DESIGN, "where the two overlap": throttling
# and deferrals are temporary) unless the text gives stronger evidence of a sender problem that a
# retry will not cure: a blocklist, failed SPF/DKIM/DMARC or spam content (RFC 5321 4.2.1: 4yz is
# "transient negative completion"; Google's 4.7.27/4.7.30 authentication and Yahoo's TSS04 volume
# deferrals in research/sender-health.md). Naming the sending IP alone is what throttling does
# ("too many connections from your IP", "rate limited due to IP reputation"), so it is not enough.
STRONG_SENDER_KINDS = frozenset({"blocklist", "authentication", "content"})
STRONG_SENDER_CATEGORIES = frozenset({"authentication", "spam_content"})
# Gmail's temporary codes for a bulk-sender requirement not met (research/sender-health.md, "Bounce codes
# that point at a requirement": PTR 4.7.23/4.7.25, SPF 4.7.27, TLS 4.7.29, DKIM 4.7.30, DMARC alignment
# 4.7.32, no DMARC 4.7.40; 4.7.26 unauthenticated): a retry fails the same way until the sender fixes it.
LASTING_SENDER_STATUSES = frozenset({"4.7.23", "4.7.25", "4.7.26", "4.7.27", "4.7.29", "4.7.30", "4.7.32", "4.7.40"})
# A missing reverse DNS (PTR) for the sending IP is named in words too ("cannot find your reverse hostname",
# "no PTR record"): Gmail's and Microsoft's requirement pages in research/sender-health.md.
_NO_REVERSE_DNS = re.compile(r"\b(reverse\s+(dns|hostname|lookup)|ptr(\s+record)?|rdns)\b", re.I)


def is_temporary_refusal(f: RecipientFacts) -> bool:
    """A bounce or deferral answered with a 4xx reply (or a 4.x.x status when no reply code)."""
    return f.outcome in ("bounce", "deferred") and reply_class(f.reply_code, f.status) == 4


def names_lasting_sender_problem(f: RecipientFacts) -> bool:
    """The text names a sender problem a retry will not cure (see STRONG_SENDER_KINDS)."""
    if f.category in STRONG_SENDER_CATEGORIES or (f.status or "") in LASTING_SENDER_STATUSES:
        return True
    if f.diagnostic and _NO_REVERSE_DNS.search(f.diagnostic):
        return True
    named = sender_problem_named(f.diagnostic)
    return named is not None and named[0] in STRONG_SENDER_KINDS


def is_throttling(f: RecipientFacts) -> bool:
    """A temporary refusal, or a refusal filed as rate limiting whatever its code ("550 too many
    connections from your IP"), with no lasting sender problem named: throttling, greylisting, a deferral."""
    if f.outcome not in ("bounce", "deferred"):
        return False
    return (is_temporary_refusal(f) or f.category == "rate_limited") and not names_lasting_sender_problem(f)


def _is_refusal(f: RecipientFacts) -> bool:
    """A permanent refusal: the rules about filters, directories and patterns read only these."""
    return f.outcome == "bounce" and not is_temporary_refusal(f)


def _vendor_label(vendor_id: str | None) -> str | None:
    return vendor_name(vendor_id) or vendor_id


# --- Rules: the claim itself -------------------------------------------------------------------

CATEGORY_SENTENCES: dict[str, Sentence] = {
    "invalid_mailbox": S.gettext("The receiving server said the mailbox does not exist"),
    "invalid_domain": S.gettext("The receiving side said the domain does not exist or accepts no mail"),
    "mailbox_disabled": S.gettext("The receiving server said the mailbox is disabled or inactive"),
    "mailbox_full": S.gettext("The mailbox is full (over its storage quota)"),
    "message_too_large": S.gettext("The message was larger than the receiving server accepts"),
    "reputation_block": S.gettext("The receiving server refused the sending IP or domain because of its reputation"),
    "policy_block": S.gettext("The receiving side refused the message under its own policy or filter"),
    "sender_rejected": S.gettext("The receiving server refused the sender address or the sending domain"),
    "spam_content": S.gettext("The receiving server judged the content to be spam or unsafe"),
    "authentication": S.gettext(
        "The message failed SPF, DKIM or DMARC, the checks that prove a message really comes "
        "from the sender's domain"
    ),
    "rate_limited": S.gettext("The receiving server refused because too many messages arrived too fast"),
    "technical": S.gettext("A technical or network problem stopped delivery"),
    "auto_reply": S.gettext("This is an automatic reply (such as out of office): the mailbox exists and received the message"),
    "complaint": S.gettext("This is a spam complaint, not a bounce: do not mail this address again"),
    "delivered": S.gettext("The bounce record reads like a delivery report"),
    "suppressed": S.gettext("The ESP did not send because the address was on its suppression list after an earlier bounce"),
    "unknown": S.gettext("The bounce text does not say why the message was refused"),
}


def category_claim(f: RecipientFacts) -> list[Evidence]:
    """The base vote: what the receiving side claimed (the bounce category)."""
    if not f.category or f.category not in w.CATEGORY_VOTES:
        return []
    verdict, weight = w.CATEGORY_VOTES[f.category]
    if f.category == "invalid_mailbox" and f.signature_class == "gateway_directory_unknown":
        weight = w.GATEWAY_DIRECTORY_INVALID_RESIDUAL
    if verdict == VerdictKind.FILTER_REJECTION and names_sender_problem(f):
        verdict = VerdictKind.SENDER_ISSUE  # a refusal that names the sender is a sender issue (DESIGN overlap)
    throttled = is_throttling(f) and verdict not in (VerdictKind.TEMPORARY, VerdictKind.UNKNOWN)
    if throttled:
        # The same words under a 4xx reply are a "not now", not a refusal (DESIGN overlap: throttling
        # and deferrals are temporary): "421 4.7.0 Try again later" is filed as policy by its status.
        verdict = VerdictKind.TEMPORARY
    quoted = f.category not in ("auto_reply", "complaint", "suppressed")
    sentence = CATEGORY_SENTENCES[f.category]
    if throttled:
        sentence = S.gettext("%(claim)s, for now (a temporary refusal)", claim=sentence)
    text = with_quote(sentence, f.diagnostic if quoted else None)
    votes = [Evidence(f"claim_{f.category}", text, verdict, weight)]
    residual = w.SIGNATURE_SECOND_VOTES.get(f.signature_class or "")
    if residual and f.category != "invalid_mailbox" and not throttled:
        votes.append(Evidence("claims_unknown_user",
                              S.gettext("The text says the user is unknown, although not where a mailbox check "
                                        "happens."),
                              residual[0], residual[1]))
    if f.category == "rate_limited":
        votes.append(Evidence("rate_limited_volume", S.gettext("Sending speed and volume are set on the sending side."),
                              VerdictKind.SENDER_ISSUE, w.RATE_LIMIT_SENDER_WEIGHT))
    return votes


def text_names_sender_problem(f: RecipientFacts) -> list[Evidence]:
    """A text naming the sender's IP or domain, a blocklist, SPF/DKIM/DMARC or spam is a sender
    issue, whatever the category (DESIGN, "where the two overlap")."""
    named = sender_problem_named(f.diagnostic)
    if named is None or f.outcome == "delivered":
        return []
    _kind, label = named
    weight = w.THROTTLING_SENDER_MENTION_WEIGHT if is_throttling(f) else w.SENDER_MENTION_WEIGHT
    return [Evidence("names_sender_problem",
                     # the label is data (bounces/data/phrases.json), in the catalogues through _catalogue.py
                     S.gettext("The text names a problem on the sending side (%(problem)s).", problem=Sentence(label)),
                     VerdictKind.SENDER_ISSUE, weight)]


def answering_vendor(f: RecipientFacts) -> list[Evidence]:
    """Context: who answered (gateway or mailbox), with the MX host; decides nothing by itself."""
    vendor = f.answering_vendor
    if not vendor or f.outcome == "delivered":
        return []
    name = _vendor_label(vendor)
    category = f.answering_vendor_category
    # The MX host is a technical name: it stays as it is in every language.
    mx = f" (MX {f.mx_host})" if f.mx_host and vendor == f.mx_vendor else ""
    if category == "security_gateway":
        behind = _vendor_label(f.provider) if f.provider and f.provider != vendor else None
        if behind:
            text = S.gettext("The answering gateway is %(name)s%(mx)s, in front of %(behind)s.", name=name, mx=mx,
                             behind=behind)
        else:
            text = S.gettext("The answering gateway is %(name)s%(mx)s.", name=name, mx=mx)
    elif category == "hosting":
        text = S.gettext("The domain's mail is hosted by %(name)s%(mx)s, a web-hosting company.", name=name, mx=mx)
    else:
        text = S.gettext("The domain's mail is handled by %(name)s%(mx)s.", name=name, mx=mx)
    return [Evidence("answering_vendor", text, VerdictKind.UNKNOWN, 0.0)]


def gateway_directory_unknown(f: RecipientFacts) -> list[Evidence]:
    """A gateway-directory "unknown user" is suspect: the gateway checks its own copy of the
    directory, which can be stale, before the mailbox is ever asked."""
    if f.signature_class != "gateway_directory_unknown" or not _is_refusal(f) or names_sender_problem(f):
        return []
    name = _vendor_label(f.answering_vendor)
    if name:
        text = S.gettext("The text is a gateway-directory rejection: the address was checked against %(name)s's own "
                         "copy of the company directory, which can be out of date, not against the mailbox itself.",
                         name=name)
    else:
        text = S.gettext("The text is a gateway-directory rejection: the address was checked against the gateway's "
                         "own copy of the company directory, which can be out of date, not against the mailbox "
                         "itself.")
    return [Evidence(
        "gateway_directory_unknown", text,
        VerdictKind.FILTER_REJECTION, w.GATEWAY_DIRECTORY_FILTER_WEIGHT)]


def gateway_user_unknown(f: RecipientFacts) -> list[Evidence]:
    """A plain "user unknown" answered by a security gateway, not by the mailbox itself."""
    if not says_unknown_user(f) or f.signature_class == "gateway_directory_unknown":
        return []
    if not _is_refusal(f) or f.answering_vendor_category != "security_gateway" or names_sender_problem(f):
        return []
    name = _vendor_label(f.answering_vendor)
    return [Evidence(
        "gateway_user_unknown",
        S.gettext("%(name)s is a security gateway: it answers for the company's mail server and can refuse an "
                  "address for its own reasons, so its \"unknown user\" is not proof.", name=name),
        VerdictKind.FILTER_REJECTION, w.GATEWAY_USER_UNKNOWN_FILTER_WEIGHT)]


def policy_block_by_filter(f: RecipientFacts) -> list[Evidence]:
    """A policy refusal without sender mention: the recipient's filter (gateway or business
    tenant) refused; at a consumer provider, policy refusals are about the sender."""
    if f.category != "policy_block" or not _is_refusal(f) or names_sender_problem(f):
        return []
    if f.is_consumer:
        if says_unknown_user(f):  # an "unknown user" filed as policy: consumer_provider_user_unknown
            return []
        name = _vendor_label(f.answering_vendor) or f.domain
        return [Evidence(
            "consumer_policy",
            S.gettext("%(name)s is a consumer mailbox provider; its policy refusals are about the sender's "
                      "reputation or content, not about one address.", name=name),
            VerdictKind.SENDER_ISSUE, w.CONSUMER_POLICY_SENDER_WEIGHT)]
    category = f.answering_vendor_category
    if category in ("security_gateway", "mailbox_provider"):
        name = _vendor_label(f.answering_vendor)
        if category == "security_gateway":
            text = S.gettext("%(name)s, a security gateway, refused under the company's own policy without naming a "
                             "problem with the sender.", name=name)
        else:
            text = S.gettext("%(name)s, the company's mail service, refused under the company's own policy without "
                             "naming a problem with the sender.", name=name)
        return [Evidence(
            "filter_policy", text,
            VerdictKind.FILTER_REJECTION, w.GATEWAY_POLICY_FILTER_WEIGHT)]
    return []


# --- Rules: the domain's and the vendor's pattern in this campaign -----------------------------


def _pattern_applies(f: RecipientFacts) -> bool:
    return _is_refusal(f) and f.category in SUSPECT_CATEGORIES and not names_sender_problem(f)


def _switch_text(pattern: DomainPattern, vendor: str | Sentence | None = None, companies: int | None = None) -> Sentence:
    """The switch from deliveries to rejections, at this domain or (``vendor``) at the companies behind
    a vendor in this campaign (``companies``: how many, when worth saying). One source text per case."""
    n_before = pattern.deliveries_before_first_rejection
    before = S.ngettext("%(count)s delivery", "%(count)s deliveries", n_before, count=n_before)
    if pattern.dense_burst and pattern.burst_seconds is not None:
        n = pattern.burst_rejections
        rejections = S.ngettext("%(count)s rejection", "%(count)s rejections", n, count=n)
        params = {"rejections": rejections, "within": duration(pattern.burst_seconds), "before": before}
        if vendor is None:
            return S.gettext("%(rejections)s at this domain within %(within)s after %(before)s.", **params)
        if companies:
            return S.gettext("%(rejections)s at companies protected by %(vendor)s within %(within)s after "
                             "%(before)s in this campaign (%(companies)s companies).", vendor=vendor,
                             companies=companies, **params)
        return S.gettext("%(rejections)s at companies protected by %(vendor)s within %(within)s after %(before)s "
                         "in this campaign.", vendor=vendor, **params)
    later = pattern.bounced + pattern.deliveries_after_first_rejection
    params = {"before": before, "refused": pattern.bounced, "later": later}
    if vendor is None:
        return S.ngettext("After %(before)s, this domain refused %(refused)s of the next %(later)s message.",
                          "After %(before)s, this domain refused %(refused)s of the next %(later)s messages.",
                          later, **params)
    if companies:
        return S.ngettext(
            "After %(before)s, companies protected by %(vendor)s refused %(refused)s of the next %(later)s message "
            "in this campaign (%(companies)s companies).",
            "After %(before)s, companies protected by %(vendor)s refused %(refused)s of the next %(later)s messages "
            "in this campaign (%(companies)s companies).", later, vendor=vendor, companies=companies, **params)
    return S.ngettext(
        "After %(before)s, companies protected by %(vendor)s refused %(refused)s of the next %(later)s message in "
        "this campaign.",
        "After %(before)s, companies protected by %(vendor)s refused %(refused)s of the next %(later)s messages in "
        "this campaign.", later, vendor=vendor, **params)


def _domain_switched(f: RecipientFacts) -> bool:
    return f.pattern is not None and f.pattern.rejections_after_deliveries


def domain_burst_after_deliveries(f: RecipientFacts) -> list[Evidence]:
    """A burst of rejections right after a run of deliveries to the same domain: the gateway
    accepted the first messages, then started refusing (speed or reputation, unsaid)."""
    if not _pattern_applies(f) or not _domain_switched(f):
        return []
    pattern = f.pattern
    weight = w.DOMAIN_SWITCH_BURST_WEIGHT if pattern.dense_burst and pattern.burst_seconds is not None \
        else w.DOMAIN_SWITCH_WEIGHT
    if not pattern.clean_switch:
        weight *= w.SWITCH_WEAK_FACTOR
    return [Evidence("domain_burst_after_deliveries", _switch_text(pattern),
                     VerdictKind.FILTER_REJECTION, weight)]


def vendor_burst_after_deliveries(f: RecipientFacts) -> list[Evidence]:
    """The same switch across all domains behind the answering vendor (small domains show no
    pattern alone). Not counted again when the domain itself shows it."""
    pattern = f.vendor_pattern
    if pattern is None or not _pattern_applies(f) or _domain_switched(f):
        return []
    if not pattern.rejections_after_deliveries:
        return []
    name = _vendor_label(pattern.key) or S.gettext("this vendor")
    companies = pattern.domains if pattern.domains >= w.VENDOR_SWITCH_MIN_DOMAINS_NOTE else None
    text = _switch_text(pattern, name, companies)
    weight = w.VENDOR_SWITCH_BURST_WEIGHT if pattern.dense_burst and pattern.burst_seconds is not None \
        else w.VENDOR_SWITCH_WEIGHT
    if not pattern.clean_switch:
        weight *= w.SWITCH_WEAK_FACTOR
    return [Evidence("vendor_burst_after_deliveries", text,
                     VerdictKind.FILTER_REJECTION, weight)]


def domain_refused_everything(f: RecipientFacts) -> list[Evidence]:
    """Many recipients at one company, none delivered, all refused: a company where none of the
    addresses exists is unlikely; a filter refusing the sender is not."""
    pattern = f.pattern
    if pattern is None or not _pattern_applies(f) or pattern.delivered:
        return []
    if pattern.bounced < w.REFUSED_EVERYTHING_MIN_REJECTIONS:
        return []
    return [Evidence(
        "domain_refused_everything",
        S.gettext("All %(count)s messages to this domain were refused and none was delivered; a company where "
                  "none of the addresses exists is unlikely.", count=pattern.bounced),
        VerdictKind.FILTER_REJECTION, w.REFUSED_EVERYTHING_WEIGHT)]


def _history_age(f: RecipientFacts) -> str:
    """"none", "recent", "old" (RECENT..STALE) or "stale": the freshest delivery, open or click
    in other campaigns. Undated history counts as old."""
    history = f.history
    if history is None:
        return "none"
    dated = [d for d in (history.last_delivered_at, history.opened_at, history.clicked_at) if d]
    if not dated:
        return "old" if history.delivered_before else "none"
    ages = [_age(f.occurred_at, d) for d in dated]
    if any(age is not None and age <= w.RECENT for age in ages):
        return "recent"
    if any(age is None or age <= w.STALE for age in ages):
        return "old"
    return "stale"


def lone_rejection_among_deliveries(f: RecipientFacts) -> list[Evidence]:
    """A lone "user unknown" among many deliveries to the same domain, for an address with no
    history, is most likely real: people leave companies."""
    pattern = f.pattern
    if pattern is None or not _is_refusal(f) or not says_mailbox_gone(f):
        return []
    if pattern.delivered < w.LONE_MIN_DELIVERIES or not pattern.few_rejections:
        return []
    age = _history_age(f)
    if age == "recent":  # left to history_contradicts_unknown
        return []
    weight = w.LONE_MANY_WEIGHT if pattern.delivered >= w.LONE_MANY_DELIVERIES else w.LONE_WEIGHT
    if age == "old":
        weight *= w.LONE_OLD_HISTORY_FACTOR
    delivered = pattern.delivered
    others = S.ngettext("%(count)s other recipient at the same domain was delivered in this campaign",
                        "%(count)s other recipients at the same domain were delivered in this campaign",
                        delivered, count=delivered)
    rejected = S.gettext("this was the only rejection there") if pattern.bounced <= 1 else S.gettext(
        "only %(count)s were rejected", count=pattern.bounced)
    clauses = [S.gettext("%(delivered)s and %(rejected)s", delivered=others, rejected=rejected)]
    if f.history is not None and age == "none":
        clauses.append(S.gettext("this address has no earlier delivery, open or click on record"))
    elif f.history is not None and age == "stale":
        clauses.append(S.gettext("this address had no delivery, open or click for over a year"))
    return [Evidence(
        "lone_rejection_among_deliveries",
        S.gettext("%(clauses)s. People leave companies; a single missing mailbox is common.", clauses=clauses),
        VerdictKind.INVALID_RECIPIENT, weight)]


# --- Rules: the recipient's history ------------------------------------------------------------


def history_contradicts_unknown(f: RecipientFacts) -> list[Evidence]:
    """Recent delivery, open or click in other campaigns contradicts "does not exist"."""
    history = f.history
    if history is None or not _is_refusal(f) or not says_unknown_user(f):
        return []
    items: list[tuple[str, float, Sentence, datetime | None]] = []
    if history.clicked_at:
        items.append(("recent_click", w.HISTORY_CLICK_WEIGHT,
                      S.gettext("This recipient clicked a campaign on %(day)s.", day=day(history.clicked_at)),
                      history.clicked_at))
    if history.opened_at:
        items.append(("recent_open", w.HISTORY_OPEN_WEIGHT,
                      S.gettext("This recipient opened a campaign on %(day)s.", day=day(history.opened_at)),
                      history.opened_at))
    if history.delivered_before or history.last_delivered_at:
        count = history.delivered_before
        last = day(history.last_delivered_at) if history.last_delivered_at else None
        if count and last:
            what = S.ngettext("%(count)s earlier campaign was delivered to this address, the last on %(day)s.",
                              "%(count)s earlier campaigns were delivered to this address, the last on %(day)s.",
                              count, count=count, day=last)
        elif count:
            what = S.ngettext("%(count)s earlier campaign was delivered to this address.",
                              "%(count)s earlier campaigns were delivered to this address.", count, count=count)
        elif last:
            what = S.gettext("An earlier campaign was delivered to this address, the last on %(day)s.", day=last)
        else:
            what = S.gettext("An earlier campaign was delivered to this address.")
        items.append(("recent_delivery", w.HISTORY_DELIVERY_WEIGHT, what, history.last_delivered_at))
    votes: list[Evidence] = []
    for code, base, text, moment in items:
        age = _age(f.occurred_at, moment)
        if age is None:
            factor = w.HISTORY_OLD_FACTOR  # no dates to compare: it existed once, maybe not now
        elif age <= w.RECENT:  # includes engagement AFTER the bounce (negative age)
            factor = 1.0
        elif age <= w.STALE:
            factor = w.HISTORY_OLD_FACTOR
        else:
            factor = 0.0
        if f.is_consumer:
            factor *= w.HISTORY_CONSUMER_FACTOR
        votes.append(Evidence(code, text, VerdictKind.FILTER_REJECTION, base * factor))
    if not votes:
        return []
    # Only the strongest piece of history votes; the others are shown as context.
    votes.sort(key=lambda e: -e.weight)
    return votes[:1] + [replace(e, weight=0.0) for e in votes[1:]]


def earlier_hard_bounces(f: RecipientFacts) -> list[Evidence]:
    """The same address bounced hard before: repeated claims that it does not exist."""
    history = f.history
    if history is None or history.previous_hard_bounces <= 0 or f.outcome == "delivered":
        return []
    if f.category not in ("invalid_mailbox", "mailbox_disabled", "invalid_domain", "suppressed", "unknown", None):
        return []
    count = history.previous_hard_bounces
    return [Evidence("earlier_hard_bounces",
                     S.ngettext("This address also bounced hard in %(count)s earlier campaign.",
                                "This address also bounced hard in %(count)s earlier campaigns.", count, count=count),
                     VerdictKind.INVALID_RECIPIENT, w.EARLIER_HARD_BOUNCE_WEIGHT)]


# --- Rules: the recipient's domain -------------------------------------------------------------


def consumer_provider_user_unknown(f: RecipientFacts) -> list[Evidence]:
    """Consumer providers accept or spam-folder; they rarely fake an unknown user."""
    if not _is_refusal(f) or not says_mailbox_gone(f) or not f.is_consumer:
        return []
    name = _vendor_label(f.answering_vendor)
    if name:
        text = S.gettext("%(domain)s (%(name)s) is a consumer mailbox provider; these file unwanted mail as spam "
                         "rather than pretend an address does not exist.", domain=f.domain, name=name)
    else:
        text = S.gettext("%(domain)s is a consumer mailbox provider; these file unwanted mail as spam rather than "
                         "pretend an address does not exist.", domain=f.domain)
    return [Evidence(
        "consumer_provider_user_unknown", text,
        VerdictKind.INVALID_RECIPIENT, w.CONSUMER_USER_UNKNOWN_WEIGHT)]


def disposable_domain(f: RecipientFacts) -> list[Evidence]:
    if f.domain_kind != "disposable" or f.outcome == "delivered":
        return []
    return [Evidence("disposable_domain",
                     S.gettext("%(domain)s is a throwaway-address service; its addresses expire within hours or days.",
                               domain=f.domain),
                     VerdictKind.INVALID_RECIPIENT, w.DISPOSABLE_WEIGHT)]


DNS_SENTENCES: dict[str, str] = {
    "nxdomain": gettext_noop("The domain %(domain)s does not exist in DNS (the internet's address book)."),
    "null_mx": gettext_noop(
        "The domain %(domain)s publishes a \"null MX\" record, its official statement that it accepts no email."),
    "no_mail": gettext_noop(
        "The domain %(domain)s has no mail server: no MX record (mail-server entry) and no address."),
}


def dns_says_no_mail(f: RecipientFacts) -> list[Evidence]:
    """The domain does not exist or accepts no mail: nothing can be delivered there."""
    if f.outcome == "delivered" or not f.mx_status:
        return []
    if f.mx_status in TRANSIENT_STATUSES:  # the enrichment is missing: say so, decide nothing on it
        return [Evidence("dns_unchecked",
                         S.gettext("The DNS of %(domain)s could not be checked (no answer from the resolver in time), "
                                   "so its mail servers and filter vendor are unknown: this verdict rests on the reply "
                                   "alone.", domain=f.domain),
                         VerdictKind.UNKNOWN, 0.0)]
    if f.mx_status in w.DNS_NO_MAIL_STATUSES:
        sentence = DNS_SENTENCES.get(f.mx_status, gettext_noop("The domain %(domain)s accepts no mail."))
        return [Evidence(f"dns_{f.mx_status}", Sentence(sentence, {"domain": f.domain}),
                         VerdictKind.INVALID_RECIPIENT, w.DNS_NO_MAIL_WEIGHT)]
    if f.mx_status == "mx_unresolvable":
        host = f" ({f.mx_host})" if f.mx_host else ""  # a technical name, as it is in every language
        return [Evidence("dns_mx_unresolvable",
                         S.gettext("The mail server named in %(domain)s's MX record%(host)s does not resolve, so no "
                                   "mail can reach it.", domain=f.domain, host=host),
                         VerdictKind.INVALID_RECIPIENT, w.DNS_MX_UNRESOLVABLE_WEIGHT)]
    if f.mx_status == "ok" and f.category == "invalid_domain":
        return [Evidence("dns_contradicts_invalid_domain",
                         S.gettext("%(domain)s has working mail servers today, so \"domain unknown\" may have been a "
                                   "passing DNS fault or a mail setup that has since been fixed.", domain=f.domain),
                         VerdictKind.TEMPORARY, w.DNS_CONTRADICTS_INVALID_DOMAIN_WEIGHT)]
    return []


# --- Rules: outcome and reply code -------------------------------------------------------------


def temporary_reply_code(f: RecipientFacts) -> list[Evidence]:
    """A 4xx answer: throttling or a deferral unless the text names a lasting sender problem."""
    if not is_temporary_refusal(f):
        return []
    if names_lasting_sender_problem(f) or f.mx_status in w.DNS_NO_MAIL_STATUSES:
        return [Evidence("temporary_reply_code",
                         S.gettext("The server answered with a temporary (4xx) code, but the text names a problem on "
                                   "the sending side that a later attempt will not cure by itself."),
                         VerdictKind.TEMPORARY, w.TEMPORARY_REPLY_WEIGHT)]
    return [Evidence("temporary_reply_code",
                     S.gettext("The server answered with a temporary (4xx) code: \"not now\", not \"no\". A later "
                               "attempt may be accepted; such answers come when mail arrives faster than the server "
                               "takes it."),
                     VerdictKind.TEMPORARY, w.THROTTLING_REPLY_WEIGHT)]


def last_attempt_deferred(f: RecipientFacts) -> list[Evidence]:
    if f.outcome != "deferred":
        return []
    return [Evidence("last_attempt_deferred",
                     S.gettext("The last attempt was deferred (postponed) and never delivered; the ESP may still be "
                               "retrying."),
                     VerdictKind.TEMPORARY, w.DEFERRED_OUTCOME_WEIGHT)]


def not_sent_by_esp(f: RecipientFacts) -> list[Evidence]:
    if f.outcome not in ("dropped", "suppressed"):
        return []
    return [Evidence("not_sent_by_esp",
                     S.gettext("The ESP did not send this message (dropped), so the receiving side never answered.")
                     if f.outcome == "dropped" else
                     S.gettext("The ESP did not send this message (suppressed), so the receiving side never answered."),
                     VerdictKind.UNKNOWN, w.NOT_SENT_WEIGHT)]


RULES: tuple[Rule, ...] = (
    category_claim,
    text_names_sender_problem,
    answering_vendor,
    gateway_directory_unknown,
    gateway_user_unknown,
    policy_block_by_filter,
    domain_burst_after_deliveries,
    vendor_burst_after_deliveries,
    domain_refused_everything,
    lone_rejection_among_deliveries,
    history_contradicts_unknown,
    earlier_hard_bounces,
    consumer_provider_user_unknown,
    disposable_domain,
    dns_says_no_mail,
    temporary_reply_code,
    last_attempt_deferred,
    not_sent_by_esp,
)
