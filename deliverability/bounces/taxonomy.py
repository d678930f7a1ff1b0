"""The bounce categories (see DESIGN.md, "Bounce category") and their mapping from Sisimai reasons.

The mapping exists so the engine can be measured against corpora labelled by Sisimai.
"""
from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "invalid_mailbox",
    "invalid_domain",
    "mailbox_disabled",
    "mailbox_full",
    "message_too_large",
    "reputation_block",
    "policy_block",
    "sender_rejected",
    "spam_content",
    "authentication",
    "rate_limited",
    "technical",
    "auto_reply",
    "complaint",
    "delivered",
    "suppressed",
    "unknown",
)

# Only these say the address itself does not exist; everything else may succeed later or elsewhere.
HARD_CATEGORIES: frozenset[str] = frozenset({"invalid_mailbox", "invalid_domain"})

SISIMAI_REASON_TO_CATEGORY: dict[str, str] = {
    "userunknown": "invalid_mailbox",
    "hasmoved": "invalid_mailbox",
    "hostunknown": "invalid_domain",
    "notaccept": "invalid_domain",
    "suspend": "mailbox_disabled",
    "mailboxfull": "mailbox_full",
    "exceedlimit": "message_too_large",
    "mesgtoobig": "message_too_large",
    "emailtoolarge": "message_too_large",
    "blocked": "reputation_block",
    "badreputation": "reputation_block",
    "requireptr": "reputation_block",
    "filtered": "policy_block",
    "policyviolation": "policy_block",
    "securityerror": "policy_block",
    "norelaying": "policy_block",
    "rejected": "sender_rejected",
    "spamdetected": "spam_content",
    "virusdetected": "spam_content",
    "authfailure": "authentication",
    "toomanyconn": "rate_limited",
    "speeding": "rate_limited",
    "ratelimited": "rate_limited",
    "networkerror": "technical",
    "systemerror": "technical",
    "systemfull": "technical",
    "expired": "technical",
    "syntaxerror": "technical",
    "mailererror": "technical",
    "failedstarttls": "technical",
    "notcompliantrfc": "technical",
    "contenterror": "technical",
    "vacation": "auto_reply",
    "feedback": "complaint",
    "delivered": "delivered",
    "suppressed": "suppressed",
    "onhold": "unknown",
    "undefined": "unknown",
}

assert set(SISIMAI_REASON_TO_CATEGORY.values()) <= set(CATEGORIES)
