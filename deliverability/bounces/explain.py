"""One plain sentence per classification, for account managers and their clients.

Each sentence is one source text of the catalogues (issue 23), translated into the language active
when ``explain`` runs (a page's reader; English in a worker or on the command line). ``who`` is a
named placeholder for the answering server, itself a sentence of the catalogue.
"""
from __future__ import annotations

from functools import lru_cache

from deliverability.sentences import Sentence, active_language

from .vendors import vendor_name

S = Sentence
_BY_SIGNATURE = {
    "gateway_directory_unknown": S.gettext(
        "%(who)s rejected the address against its own recipient directory before the mailbox was asked; "
        "this is often a stale directory or a filter, so the mailbox may well exist."
    ),
    "user_unknown": S.gettext("%(who)s says this mailbox does not exist."),
    "user_moved": S.gettext("%(who)s says this person has moved and the address is no longer used."),
    "user_unknown_after_data": S.gettext(
        "%(who)s answered \"unknown user\" only after receiving the message content, which is how content "
        "filters refuse mail; the address probably exists."
    ),
    "user_unknown_unconfirmed": S.gettext(
        "%(who)s answered \"unknown user\" but neither at the recipient stage nor with an address status (5.1.x), "
        "which is typical of a filter; the address may exist."
    ),
    "user_disabled": S.gettext("%(who)s says the mailbox exists but is disabled or inactive."),
    "domain_unknown": S.gettext("%(who)s says the recipient's domain does not exist or does not accept email."),
    "null_mx": S.gettext("The recipient's domain publishes a null MX record: it declares that it accepts no email at all."),
    "mailbox_full": S.gettext("%(who)s says the recipient's mailbox is full; a later send may succeed."),
    "message_too_large": S.gettext("%(who)s refused the message because it is larger than it accepts."),
    "reputation_block": S.gettext(
        "%(who)s refused the mail because of the sending IP address's or domain's reputation (a blocklist or "
        "missing reverse DNS)."),
    "content_spam": S.gettext("%(who)s judged the message content to be spam or malware."),
    "authentication": S.gettext("%(who)s refused the mail because the sender failed SPF, DKIM or DMARC checks."),
    "rate_limit": S.gettext("%(who)s is limiting how fast or how much mail it accepts from this sender; it is temporary."),
    "relay_denied": S.gettext(
        "%(who)s does not accept mail for this domain (relaying denied), usually an outdated MX record or "
        "mis-configured domain."),
    "sender_rejected": S.gettext("%(who)s refused the envelope sender address or sending domain, not the recipient."),
    "policy": S.gettext(
        "%(who)s refused the mail under a local policy or filter rule without saying the address is invalid."),
    "expired": S.gettext(
        "The sending server gave up after retrying for too long without reaching the recipient's server."),
    "technical": S.gettext(
        "Delivery failed for a technical reason (network, system or protocol trouble), not because of the "
        "recipient address."),
    "complaint": S.gettext("The recipient marked this message as spam (a feedback-loop complaint)."),
    "auto_reply": S.gettext("This is an automatic reply such as an out-of-office message, not a bounce."),
    "delivered": S.gettext("The delivery status report says the message was delivered."),
    "suppressed": S.gettext(
        "The sending service did not send this message because the address was already suppressed after an "
        "earlier bounce."),
}
UNKNOWN = S.gettext("The bounce does not say enough to tell why the message was refused.")
_BY_CATEGORY = {
    "invalid_mailbox": "user_unknown",
    "invalid_domain": "domain_unknown",
    "mailbox_disabled": "user_disabled",
    "mailbox_full": "mailbox_full",
    "message_too_large": "message_too_large",
    "reputation_block": "reputation_block",
    "policy_block": "policy",
    "sender_rejected": "sender_rejected",
    "spam_content": "content_spam",
    "authentication": "authentication",
    "rate_limited": "rate_limit",
    "technical": "technical",
    "auto_reply": "auto_reply",
    "complaint": "complaint",
    "delivered": "delivered",
    "suppressed": "suppressed",
}


def explanation(category: str, signature: str | None, vendor: str | None, hard: bool, temporary: bool) -> Sentence:
    """The explanation as a sentence of the catalogue (to store, or to render in the reader's language)."""
    if category == "unknown":
        return UNKNOWN
    key = signature if signature in _BY_SIGNATURE else _BY_CATEGORY.get(category, "technical")
    name = vendor_name(vendor)
    who = S.gettext("The recipient's %(name)s server", name=name) if name else S.gettext("The receiving server")
    base = _BY_SIGNATURE[key]
    sentence = S(base.msgid, {"who": who}) if "%(who)s" in base.msgid else base
    if temporary and category not in ("mailbox_full", "rate_limited", "auto_reply", "complaint", "delivered"):
        return S.gettext("%(explanation)s It is a temporary failure: the sending server may retry.",
                         explanation=sentence)
    return sentence


def explain(category: str, signature: str | None, vendor: str | None, hard: bool, temporary: bool) -> str:
    """The explanation in the active language (a few hundred distinct ones per language: cached, as an
    import classifies tens of thousands of distinct replies that share them; issue 14)."""
    return _explain(category, signature, vendor, hard, temporary, active_language())


@lru_cache(maxsize=4096)
def _explain(category: str, signature: str | None, vendor: str | None, hard: bool, temporary: bool,
             language: str) -> str:
    return explanation(category, signature, vendor, hard, temporary).render()
