"""Every weight and threshold of the verdict engine, in one place.

A weight is a vote in log-odds units: ``judge`` adds the weights of the evidence for each verdict
and turns the totals into probabilities with a softmax (see ``judge.py``). So +1.0 multiplies the
odds of a verdict by e ≈ 2.7; a verdict nobody voted for keeps a score of 0, and ``unknown`` starts
at ``UNKNOWN_PRIOR`` so that a single weak vote does not produce a confident answer.

Tuning guide: change numbers here, never in ``rules.py``; the tests in tests/verdicts name the
behaviour each number protects.
"""
from __future__ import annotations

from datetime import timedelta

from .vocabulary import VerdictKind as V

# --- Scoring -----------------------------------------------------------------------------------
UNKNOWN_PRIOR = 1.0  # "not enough evidence" wins until some verdict scores more than this

# --- What the receiving side said (bounce category → (verdict, weight)) ------------------------
# The category is a claim by the answering server. It is the starting point, not the answer:
# in B2B a security gateway may say "user unknown" for reasons that have nothing to do with the
# address, so the invalid_mailbox vote is deliberately moderate.
CATEGORY_VOTES: dict[str, tuple[V, float]] = {
    "invalid_mailbox": (V.INVALID_RECIPIENT, 1.5),
    "invalid_domain": (V.INVALID_RECIPIENT, 2.0),
    "mailbox_disabled": (V.INVALID_RECIPIENT, 2.0),
    "mailbox_full": (V.TEMPORARY, 3.0),
    "message_too_large": (V.SENDER_ISSUE, 2.0),
    "reputation_block": (V.SENDER_ISSUE, 3.0),
    "policy_block": (V.FILTER_REJECTION, 1.5),
    "sender_rejected": (V.SENDER_ISSUE, 3.0),
    "spam_content": (V.SENDER_ISSUE, 3.0),
    "authentication": (V.SENDER_ISSUE, 3.0),
    "rate_limited": (V.TEMPORARY, 2.5),
    "technical": (V.TEMPORARY, 2.5),
    # An out-of-office reply filed as a bounce: the mailbox exists and received the message.
    "auto_reply": (V.TEMPORARY, 1.5),
    # A spam complaint is not a bounce; whatever else, never mail it again (exports exclude it).
    "complaint": (V.UNKNOWN, 1.0),
    "delivered": (V.UNKNOWN, 1.0),
    "suppressed": (V.UNKNOWN, 1.0),
    "unknown": (V.UNKNOWN, 1.0),
}
# rate_limited is "temporary", but volume is also on the sending side: a small second vote.
RATE_LIMIT_SENDER_WEIGHT = 0.5

# --- Signature classes (what kind of text the bounce engine recognised) ------------------------
# A gateway-directory "unknown" (DBEB 5.4.1 Access denied, "marked as invalid", Mimecast "Invalid
# Recipient", …) is checked against the gateway's own, possibly stale, copy of the directory.
GATEWAY_DIRECTORY_FILTER_WEIGHT = 2.0
# …and the invalid_mailbox category vote shrinks to this when the signature is gateway-directory.
GATEWAY_DIRECTORY_INVALID_RESIDUAL = 0.5
# "Unknown user" texts the bounce engine files as policy_block (after DATA, or under a 5.7.x /
# X.2.0 status): mostly filters, but they do claim the address is missing. A second, small vote.
SIGNATURE_SECOND_VOTES: dict[str, tuple[V, float]] = {
    "user_unknown_unconfirmed": (V.INVALID_RECIPIENT, 0.75),
    "user_unknown_after_data": (V.INVALID_RECIPIENT, 0.5),
}
# A plain "user unknown" answered by a security gateway (not the mailbox itself).
GATEWAY_USER_UNKNOWN_FILTER_WEIGHT = 0.75
# The text itself names the sender's IP/domain, a blocklist, SPF/DKIM/DMARC or spam content.
SENDER_MENTION_WEIGHT = 2.0
# A policy refusal by a security gateway or a business mailbox provider, without sender mention.
GATEWAY_POLICY_FILTER_WEIGHT = 1.0
# Consumer providers' "policy" refusals are about the sender's reputation or content.
CONSUMER_POLICY_SENDER_WEIGHT = 1.75

# --- The domain's (and the vendor's) pattern in this campaign ----------------------------------
BURST_WINDOW = timedelta(minutes=10)  # rejections this close together form a burst
BURST_MIN_REJECTIONS = 3  # fewer is not a pattern
SWITCH_MIN_DELIVERIES_BEFORE = 1  # the gateway had accepted at least this many first
# After the first rejection, at least this share of the domain's outcomes are rejections:
# the gateway "switched" to refusing rather than rejecting the odd missing mailbox.
SWITCH_MIN_REJECTION_SHARE = 0.7
# A clean switch: (nearly) everything after the first rejection refused, and enough rejections
# to rule out a cluster of real missing mailboxes. Anything less votes SWITCH_WEAK_FACTOR as much.
SWITCH_CLEAN_SHARE = 0.9
SWITCH_CLEAN_MIN_REJECTIONS = 5
SWITCH_WEAK_FACTOR = 0.5
DOMAIN_SWITCH_BURST_WEIGHT = 3.0  # switch + dense burst inside BURST_WINDOW
DOMAIN_SWITCH_WEIGHT = 2.25  # switch, rejections spread over a longer time (or no timestamps)
VENDOR_SWITCH_BURST_WEIGHT = 2.0  # the same across all domains behind one vendor
VENDOR_SWITCH_WEIGHT = 1.5
VENDOR_SWITCH_MIN_DOMAINS_NOTE = 2  # (text only) say "at N companies" from this many on
# Every recipient at the domain was refused: a company where no address exists is unlikely.
REFUSED_EVERYTHING_MIN_REJECTIONS = 5
REFUSED_EVERYTHING_WEIGHT = 1.0
# A lone "user unknown" among many deliveries to the same domain (staff turnover).
LONE_MIN_DELIVERIES = 3
LONE_MANY_DELIVERIES = 10
LONE_MAX_REJECTIONS = 2  # absolute allowance…
LONE_MAX_REJECTION_SHARE = 0.1  # …or this share of the domain's recipients, whichever is larger
LONE_WEIGHT = 1.75  # from LONE_MIN_DELIVERIES deliveries
LONE_MANY_WEIGHT = 2.5  # from LONE_MANY_DELIVERIES deliveries
# History newer than RECENT silences the lone rule; history between RECENT and STALE weakens it.
LONE_OLD_HISTORY_FACTOR = 0.5

# --- The recipient's history across campaigns --------------------------------------------------
RECENT = timedelta(days=90)
STALE = timedelta(days=365)  # older than this, history says little about today
HISTORY_CLICK_WEIGHT = 3.0
HISTORY_OPEN_WEIGHT = 2.5
HISTORY_DELIVERY_WEIGHT = 2.0
HISTORY_OLD_FACTOR = 0.5  # between RECENT and STALE
# Consumer providers rarely fake an unknown user; an account deleted since the last click is
# more likely than a fake, so history counts for less there.
HISTORY_CONSUMER_FACTOR = 0.5
EARLIER_HARD_BOUNCE_WEIGHT = 1.0

# --- The recipient's domain --------------------------------------------------------------------
CONSUMER_USER_UNKNOWN_WEIGHT = 2.0
DISPOSABLE_WEIGHT = 1.5
DNS_NO_MAIL_WEIGHT = 3.5  # nxdomain, null MX, no MX and no address
DNS_MX_UNRESOLVABLE_WEIGHT = 1.5  # MX names a host that does not resolve
DNS_CONTRADICTS_INVALID_DOMAIN_WEIGHT = 1.0  # "domain unknown" but DNS shows working MX
DNS_NO_MAIL_STATUSES = frozenset({"nxdomain", "null_mx", "no_mail"})

# --- Outcome and reply code --------------------------------------------------------------------
TEMPORARY_REPLY_WEIGHT = 1.0  # a 4xx code whose text names a lasting sender problem (blocklist, SPF/DKIM/DMARC, spam)
# A 4xx code with no lasting sender problem named: throttling, greylisting, a deferral (issue 19 item 3:
# "421 4.7.0 Try again later" in a burst after deliveries is temporary, not a filter rejection). It
# outweighs the burst-after-deliveries votes, which the rules do not cast for 4xx answers anyway.
THROTTLING_REPLY_WEIGHT = 4.0
# …and the sending IP named in such an answer ("too many connections from your IP") is context, barely a vote.
THROTTLING_SENDER_MENTION_WEIGHT = 0.5
DEFERRED_OUTCOME_WEIGHT = 2.5
NOT_SENT_WEIGHT = 1.0  # dropped / suppressed by the ESP: no answer from the receiving side

# --- Texts -------------------------------------------------------------------------------------
QUOTE_LIMIT = 140  # characters of untrusted diagnostic text quoted in evidence
