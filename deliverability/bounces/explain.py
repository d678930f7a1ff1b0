"""One plain-English sentence per classification, for account managers and their clients."""
from __future__ import annotations

from .vendors import vendor_name

_BY_SIGNATURE = {
    "gateway_directory_unknown": (
        "{who} rejected the address against its own recipient directory before the mailbox was asked; "
        "this is often a stale directory or a filter, so the mailbox may well exist"
    ),
    "user_unknown": "{who} says this mailbox does not exist",
    "user_moved": "{who} says this person has moved and the address is no longer used",
    "user_unknown_after_data": (
        "{who} answered \"unknown user\" only after receiving the message content, which is how content "
        "filters refuse mail; the address probably exists"
    ),
    "user_unknown_unconfirmed": (
        "{who} answered \"unknown user\" but neither at the recipient stage nor with an address status (5.1.x), "
        "which is typical of a filter; the address may exist"
    ),
    "user_disabled": "{who} says the mailbox exists but is disabled or inactive",
    "domain_unknown": "{who} says the recipient's domain does not exist or does not accept email",
    "null_mx": "The recipient's domain publishes a null MX record: it declares that it accepts no email at all",
    "mailbox_full": "{who} says the recipient's mailbox is full; a later send may succeed",
    "message_too_large": "{who} refused the message because it is larger than it accepts",
    "reputation_block": "{who} refused the mail because of the sending IP address's or domain's reputation (a blocklist or missing reverse DNS)",
    "content_spam": "{who} judged the message content to be spam or malware",
    "authentication": "{who} refused the mail because the sender failed SPF, DKIM or DMARC checks",
    "rate_limit": "{who} is limiting how fast or how much mail it accepts from this sender; it is temporary",
    "relay_denied": "{who} does not accept mail for this domain (relaying denied), usually an outdated MX record or mis-configured domain",
    "sender_rejected": "{who} refused the envelope sender address or sending domain, not the recipient",
    "policy": "{who} refused the mail under a local policy or filter rule without saying the address is invalid",
    "expired": "The sending server gave up after retrying for too long without reaching the recipient's server",
    "technical": "Delivery failed for a technical reason (network, system or protocol trouble), not because of the recipient address",
    "complaint": "The recipient marked this message as spam (a feedback-loop complaint)",
    "auto_reply": "This is an automatic reply such as an out-of-office message, not a bounce",
    "delivered": "The delivery status report says the message was delivered",
    "suppressed": "The sending service did not send this message because the address was already suppressed after an earlier bounce",
}
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


def explain(category: str, signature: str | None, vendor: str | None, hard: bool, temporary: bool) -> str:
    if category == "unknown":
        return "The bounce does not say enough to tell why the message was refused."
    key = signature if signature in _BY_SIGNATURE else _BY_CATEGORY.get(category, "technical")
    name = vendor_name(vendor)
    who = f"The recipient's {name} server" if name else "The receiving server"
    sentence = _BY_SIGNATURE[key].format(who=who)
    if temporary and category not in ("mailbox_full", "rate_limited", "auto_reply", "complaint", "delivered"):
        sentence += " (a temporary failure: the sending server may retry)"
    return sentence + "."
