"""classify(): the bounce category, vendor signature and explanation of one SMTP diagnostic.

Evidence is weighed in this order: a vendor signature; text naming a specific cause (blocklist,
spam, authentication, rate, full mailbox, unknown user…), because gateways answer 5.1.1 and 5.7.1
as catch-alls; a specific enhanced status; generic wording; a generic status; the reply code.
The SMTP stage refines the result: "unknown user" after DATA is a content filter speaking.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

try:  # the regex parser, to find each pattern's required literal
    import re._constants as _sre_constants
    import re._parser as _sre_parser
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parser  # type: ignore[no-redef]

from deliverability.sentences import Sentence, active_language

from . import rules as rule_families
from .explain import explain
from .smtp import find_reply_code, find_status
from .taxonomy import CATEGORIES, HARD_CATEGORIES

DATA_DIR = Path(__file__).with_name("data")
_WS = re.compile(r"\s+")
_NEEDS_FOLD = re.compile(r"[^\S ]|  ")
MAX_TEXT = 4000
_SISIMAI_PLACEHOLDER = re.compile(r"^[45]\.0\.9\d\d$")
_STATUS_SHAPE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


@dataclass(frozen=True, slots=True)
class Classification:
    category: str  # one of CATEGORIES
    hard: bool  # True only for invalid_mailbox / invalid_domain
    vendor: str | None  # vendors.json id
    signature: str | None  # signature class: user_unknown, gateway_directory_unknown, …
    explanation: str
    status: str | None  # enhanced status as given or found in the text
    reply_code: int | None
    temporary: bool = False  # a 4xx reply / 4.x.x status
    rule: str | None = None  # what decided: "signature:<vendor>", "text:<class>", "status", "reply_code"


class _Matcher:
    """Patterns with their longest required literal: a substring test skips most regex runs."""

    __slots__ = ("checks",)

    def __init__(self, patterns: list[str]) -> None:
        # Texts are lower-cased once, so patterns compile without re.I (which disables re's fast paths).
        branches = [b for p in patterns for b in _top_level_branches(p)]
        self.checks = tuple((_anchors(b), re.compile(b)) for b in branches)

    def search(self, lowered: str) -> bool:
        for anchors, regex in self.checks:
            if (anchors is None or any(a in lowered for a in anchors)) and regex.search(lowered):
                return True
        return False


def _top_level_branches(pattern: str) -> list[str]:
    """Split "a|b(c|d)" into ["a", "b(c|d)"]: each branch then gets its own literal anchor."""
    branches, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            branches.append(pattern[start:i])
            start = i + 1
        i += 1
    branches.append(pattern[start:])
    return [b.lower() if b == b.lower() else b for b in branches]


def _anchors(pattern: str) -> list[str] | None:
    """Literals one of which every match contains (the longest run, or one per alternative), or None."""
    try:
        parsed = _sre_parser.parse(pattern, re.I)
    except re.error:
        return None
    return _sequence_anchors(list(parsed))


def _sequence_anchors(items: list) -> list[str] | None:
    best, run = "", []
    options: list[list[str]] = []
    for op, arg in items:
        if op is _sre_constants.LITERAL:
            run.append(chr(arg))
            continue
        best = max(best, "".join(run), key=len)
        run = []
        if op is _sre_constants.SUBPATTERN:
            inner = _sequence_anchors(list(arg[-1]))
            if inner:
                options.append(inner)
        elif op is _sre_constants.BRANCH:
            alternatives = [_sequence_anchors(list(alt)) for alt in arg[1]]
            if all(alternatives):
                options.append(sorted({a for alt in alternatives for a in alt}))
        elif op is _sre_constants.MAX_REPEAT or op is _sre_constants.MIN_REPEAT:
            low, _, body = arg
            if low >= 1:
                inner = _sequence_anchors(list(body))
                if inner:
                    options.append(inner)
    best = max(best, "".join(run), key=len).lower()
    if len(best) >= 3:
        return [best]
    if not options:
        return None
    # Fewest alternatives first, then the longest shortest literal.
    options = [[a.lower() for a in o] for o in options]
    return min(options, key=lambda o: (len(o), -min(map(len, o))))


@dataclass(frozen=True, slots=True)
class _Rule:
    category: str
    signature: str
    vendor: str | None
    regex: _Matcher
    family: str | None = None  # rules.py family that can switch it off (ablation)


def _load_signatures() -> tuple[_Rule, ...]:
    doc = json.loads((DATA_DIR / "signatures.json").read_text(encoding="utf-8"))
    return tuple(
        _Rule(s["category"], s["class"], s["vendor"], _Matcher([s["pattern"]]))
        for s in doc["signatures"]
    )


def _load_hosts() -> tuple[tuple[str, re.Pattern[str]], ...]:
    doc = json.loads((DATA_DIR / "signatures.json").read_text(encoding="utf-8"))
    out = []
    for vendor, patterns in doc["answering_hosts"].items():
        if vendor.startswith("_"):
            continue
        out.extend((vendor, re.compile(p, re.I)) for p in patterns)
    return tuple(out)


def _load_phrases() -> tuple[tuple[_Rule, ...], tuple[_Rule, ...], dict[str, str], frozenset[str], dict[int, str]]:
    doc = json.loads((DATA_DIR / "phrases.json").read_text(encoding="utf-8"))
    cause, generic, weak = [], [], []
    for rule in doc["rules"]:
        compiled = _Rule(rule["category"], rule["signature"], None, _Matcher(rule["patterns"]), rule.get("family"))
        {"cause": cause, "generic": generic, "weak": weak}[rule["strength"]].append(compiled)
    statuses = {k: v for k, v in doc["statuses"].items() if not k.startswith("_")}
    generic_statuses = frozenset(doc["generic_statuses"]["list"])
    replies = {int(k): v for k, v in doc["reply_codes"].items() if not k.startswith("_")}
    return tuple(cause), tuple(generic), tuple(weak), statuses, generic_statuses, replies


SIGNATURES = _load_signatures()
ANSWERING_HOSTS = _load_hosts()
CAUSE_RULES, GENERIC_RULES, WEAK_RULES, STATUS_CATEGORY, GENERIC_STATUSES, REPLY_CATEGORY = _load_phrases()


def _trie_pattern(words: list[str]) -> str:
    """One regex alternation over literal words, shaped as a trie: each position costs a few char tests."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body  # the longer word is tried first

    return emit(root)


class _Index:
    """Every check of every rule in priority order, found through its literal anchor.

    One regex (a trie of all anchors, inside a lookahead so overlapping anchors are all seen) lists the
    anchors a text contains in a single C-level scan; only the checks behind those anchors run, in
    priority order, so classifying a new text costs one scan and a handful of regex searches.
    """

    def __init__(self, tiers: list[tuple[str, tuple[_Rule, ...]]]) -> None:
        self.checks: list[tuple[str, _Rule, list[str] | None, re.Pattern[str] | None]] = []
        for tier, rules in tiers:
            for rule in rules:
                for anchors, regex in rule.regex.checks:
                    # A branch that is its own anchor needs no regex run once the anchor is found.
                    literal = anchors is not None and len(anchors) == 1 and re.escape(anchors[0]) == regex.pattern
                    self.checks.append((tier, rule, anchors, None if literal else regex))
        by_anchor: dict[str, list[int]] = {}
        always = []
        for i, (_, _, anchors, _) in enumerate(self.checks):
            if anchors is None:
                always.append(i)
            else:
                for anchor in anchors:
                    by_anchor.setdefault(anchor, []).append(i)
        # Candidate checks are bit sets (bit i = check i): union and lowest-first order cost C-level int ops.
        self.always = sum(1 << i for i in always)
        # The scan reports, at each position, the longest anchor starting there: the anchors inside it
        # (shorter ones at the same position, or later inside it) come with it.
        anchors = sorted(by_anchor)
        self.behind: dict[str, int] = {
            found: sum(1 << i for i in {i for a in anchors if a in found for i in by_anchor[a]}) for found in anchors
        }
        self.scan = re.compile("(?=(" + _trie_pattern(anchors) + "))", re.S)

    def first_match(self, lowered: str) -> tuple[str, _Rule] | None:
        behind = self.behind
        candidates = self.always
        for anchor in self.scan.findall(lowered):
            candidates |= behind[anchor]
        checks = self.checks
        while candidates:
            lowest = candidates & -candidates
            tier, rule, _, regex = checks[lowest.bit_length() - 1]
            if regex is None or regex.search(lowered):
                return tier, rule
            candidates ^= lowest
        return None


INDEX = _Index([("signature", SIGNATURES), ("cause", CAUSE_RULES), ("generic", GENERIC_RULES), ("weak", WEAK_RULES)])
_ABLATED: dict[tuple[str, ...], _Index] = {}  # built only when a family is switched off (rules.py, ablation)


def _index() -> _Index:
    off = tuple(f for f in ("signatures", "wording") if not rule_families.on(f))
    if not off:
        return INDEX
    if off not in _ABLATED:
        def keep(rules: tuple[_Rule, ...]) -> tuple[_Rule, ...]:
            return tuple(r for r in rules if r.family not in off)
        tiers = [] if "signatures" in off else [("signature", SIGNATURES)]
        tiers += [("cause", keep(CAUSE_RULES)), ("generic", keep(GENERIC_RULES)), ("weak", keep(WEAK_RULES))]
        _ABLATED[off] = _Index(tiers)
    return _ABLATED[off]
assert all(r.category in CATEGORIES for r in SIGNATURES + CAUSE_RULES + GENERIC_RULES + WEAK_RULES)


def normalize_status(status: str | None) -> str | None:
    """'5.1.1' from '5.1.1', ' #5.1.1', '5.1.1 (foo)'; None for Sisimai's 5.0.9xx placeholders."""
    if not status:
        return None
    found = find_status(str(status)) if not _STATUS_SHAPE.match(status) else status
    if not found or _SISIMAI_PLACEHOLDER.match(found):
        return None
    return found


def vendor_for_host(host: str | None) -> str | None:
    if not host:
        return None
    host = host.strip().rstrip(".").lower()
    for vendor, regex in ANSWERING_HOSTS:
        if regex.search(host):
            return vendor
    return None


def classify(
    diagnostic: str | None,
    status: str | None = None,
    reply_code: int | None = None,
    stage: str | None = None,
    remote_mta: str | None = None,
) -> Classification:
    """Classify one bounce; cached on every argument the decision reads, and on the language its
    explanation is in (a reading cached while a Catalan page rendered must not reach an English one)."""
    return _classify(diagnostic, status, reply_code, stage.upper() if stage else None, remote_mta, active_language())


@lru_cache(maxsize=50_000)
def _classify(diagnostic, status, reply_code, stage, remote_mta, language: str = "en") -> Classification:
    # Replies are short; a longer "diagnostic" is a pasted blob, and only its start is read.
    if isinstance(diagnostic, str):
        text = diagnostic[:MAX_TEXT]
        if _NEEDS_FOLD.search(text):  # any whitespace but a single space
            text = _WS.sub(" ", text)
        text = text.strip()
    else:
        text = ""
    lowered = text.lower()
    found_status = normalize_status(status) or normalize_status(find_status(text))
    code = reply_code if isinstance(reply_code, int) else find_reply_code(text)
    temporary = bool((found_status or "").startswith("4") or (code is not None and 400 <= code < 500))
    vendor = None
    category = signature = rule = None

    hit = _index().first_match(lowered) if lowered else None
    if hit and hit[0] not in ("generic", "weak"):
        tier, found = hit
        category, signature, vendor = found.category, found.signature, found.vendor
        rule = f"signature:{found.vendor}" if tier == "signature" else f"text:{found.signature}"
    detail = _status_key(found_status)
    if category is None and detail and detail not in GENERIC_STATUSES and detail in STATUS_CATEGORY:
        category, rule = STATUS_CATEGORY[detail], "status"
    if category is None and hit and hit[0] == "generic":
        category, signature, rule = hit[1].category, hit[1].signature, f"text:{hit[1].signature}"
    if category is None and detail in STATUS_CATEGORY and STATUS_CATEGORY[detail] != "unknown":
        category, rule = STATUS_CATEGORY[detail], "status"
    if category is None and hit:
        category, signature, rule = hit[1].category, hit[1].signature, f"text:{hit[1].signature}"
    if category is None and code in REPLY_CATEGORY and REPLY_CATEGORY[code] != "unknown":
        category, rule = REPLY_CATEGORY[code], "reply_code"
    if category is None:
        category, rule = ("technical", "status") if temporary else ("unknown", None)
    if (temporary and category == "technical" and hit and hit[0] == "weak"
            and detail in _SUBJECTLESS_STATUSES and rule in ("status", f"text:{hit[1].signature}")):
        # "450 4.0.0 Temporary failure", "451 4.3.0 … Please try again later": the reply says only that it
        # failed for now; it names no cause, and the status no subject.
        category, signature, rule = "unknown", None, "no_cause"
    if category == "unknown" and stage in ("CONNECT", "HELO", "MAIL"):
        rule = "stage"

    if rule_families.on("stage"):
        category, signature = _weigh_stage(category, signature, rule, stage, detail, temporary, code, lowered)
    if (rule_families.on("wording") and category != "invalid_mailbox" and stage not in ("DATA", "MAIL", "CONNECT", "HELO")
            and (rule in ("status", "reply_code", "no_cause", None) or category in ("unknown", "technical")
                 or (signature == "user_unknown_unconfirmed" and _EXISTENCE.search(lowered)))
            and not (detail or "").startswith(("X.7.", "X.4.", "X.3.")) and _missing_mailbox(lowered)):
        category, signature, rule = "invalid_mailbox", "user_unknown", "text:missing_mailbox"
    if signature is None:
        signature = _default_signature(category)
    if vendor is None:
        vendor = vendor_for_host(remote_mta)
    hard = category in HARD_CATEGORIES
    if hard and temporary and rule_families.on("delay"):
        # RFC 3463 class 4 ("persistent transient failure") and RFC 5321 4yz replies: the server says try
        # again later. The text may name a missing mailbox or domain (greylisting MTAs answer "450 4.1.1
        # User unknown" while a directory syncs, DNS lookups fail for now): the category stays what the
        # text says, but the address is not known not to exist.
        hard = False
    return Classification(
        category=category, hard=hard, vendor=vendor, signature=signature,
        explanation=explain(category, signature, vendor, hard, temporary),
        status=found_status, reply_code=code, temporary=temporary, rule=rule,
    )


_ADDRESS_STATUS = ("X.1.", "X.2.1", "X.2.2", "X.5.1")
# Statuses that name no subject: "other or undefined status" and "other or undefined mail system status".
_SUBJECTLESS_STATUSES = (None, "X.0.0", "X.3.0")


# "<user@example.com>... User unknown", "<user@example.com>: Recipient address rejected": the reply
# echoes the RCPT TO argument, as Sendmail, Postfix and most MTAs do when they answer RCPT.
_RCPT_ECHO = re.compile(r"<[^<>\s@]+@[^<>\s]+>\s*(?:\.\.\.|:|,)")


def _weigh_stage(category: str, signature: str | None, rule: str | None, stage: str | None,
                 detail: str | None, temporary: bool, code: int | None = None,
                 lowered: str = "") -> tuple[str, str | None]:
    """What the SMTP stage adds to the text.

    - A mailbox lookup answers at RCPT, with an X.1.x status. "Unknown user" after DATA, or with
      neither RCPT nor an address status to back it, is how content filters refuse mail.
    - A refusal at MAIL FROM is about the envelope sender; at the greeting, about the connecting IP.
    """
    from_text = bool(rule) and rule.startswith("text:")
    if stage == "DATA" and category == "invalid_mailbox" and not temporary and not from_text:
        # RFC 5321 §3.3: the recipient was accepted at RCPT; a mailbox refusal after DATA (a vendor's or a
        # status's 5.1.1) comes from a filter behind the MX (a gateway's directory, a content scanner).
        return "policy_block", signature if signature and signature != "user_unknown" else "user_unknown_after_data"
    if signature == "user_unknown" and from_text:
        if stage == "MAIL":
            return "sender_rejected", "sender_rejected"
        if stage == "DATA":
            return "policy_block", "user_unknown_after_data"
        # A filter's status (X.2.0 "mailbox status", X.7.x "policy") under an "unknown user" text.
        if stage is None and detail is not None and (detail == "X.2.0" or detail.startswith("X.7.")):
            return "policy_block", "user_unknown_unconfirmed"
        # A quoted SMTP reply saying "unknown user" with nothing to back it: no address status (X.1.x),
        # not at RCPT, not echoing the RCPT argument. Mailbox lookups answer at RCPT; filters answer
        # "unknown user" at other stages. (Texts without a reply code are the reporting MTA's own
        # directory lookup, e.g. a local delivery agent, and stay literal.)
        if (stage is None and code is not None and not (detail or "").startswith("X.1.")
                and not _RCPT_ECHO.search(lowered)):
            return "policy_block", "user_unknown_unconfirmed"
    if temporary and signature == "domain_unknown":
        # A temporary DNS failure says nothing about whether the domain exists.
        return "technical", "technical"
    if stage == "MAIL" and from_text and signature != "relay_denied" and category in (
            "policy_block", "invalid_domain", "technical", "unknown"):
        return "sender_rejected", "sender_rejected"
    if stage in ("CONNECT", "HELO") and (from_text or rule is None) and category in (
            "policy_block", "unknown", "invalid_domain", "invalid_mailbox") and signature != "relay_denied":
        return "reputation_block", "reputation_block"
    # Before MAIL FROM no recipient has been named: a mailbox status (X.1.x, X.2.x) in a reply to the
    # greeting cannot be about a mailbox; the server is refusing the connecting client.
    if stage in ("CONNECT", "HELO") and rule in ("status", "reply_code") and category in (
            "invalid_mailbox", "mailbox_disabled", "mailbox_full", "unknown", "policy_block"):
        return "reputation_block", "reputation_block"
    # A permanent refusal of the greeting whose only evidence is a status without a subject or the reply
    # code ("554 … A problem occurred", 5.5.0): nothing but the connecting client has been named yet
    # (Sisimai's reason.rb likewise: a refusal at connection or after HELO is "blocked").
    if (stage in ("CONNECT", "HELO") and rule in ("status", "reply_code") and category == "technical"
            and not temporary and (detail is None or detail in GENERIC_STATUSES)):
        return "reputation_block", "reputation_block"
    return category, signature


# Wordings for a mailbox that does not exist, said without an enhanced status (issue 16, family 5):
# English as MTAs and gateways write it (Sendmail/Postfix "User unknown", qmail "no mailbox here by that
# name", Exim "Unrouteable address"… are in phrases.json; here the ones read under 550/554 alone:
# "does not exist", "no such user", "BAD_RECIPIENT", "not our customer", "mailbox not found"), and the
# languages that national ISPs and local Exchange/Postfix templates use (German, French, Spanish,
# Portuguese, Italian, Dutch, Polish, Czech, Swedish, Danish/Norwegian, Finnish, Russian, Japanese).
# A sentence about a domain or host is not about a mailbox.
_MISSING_MAILBOX = re.compile(
    r"(?:does not|doesn'?t|did not) exist|no such (?:user|mailbox|recipient|address|account|person|local user)|"
    r"\bno mailbox\b|bad[_ ]recipient|not our customer|(?:mailbox|user|recipient|address|account|addressee) "
    r"(?:not found|unknown|not known|does not exist)|unknown (?:user|recipient|mailbox|address|account|addressee)|"
    r"user ?unknown|invalid (?:recipient|mailbox|user(?:name)?|address)|non-?existent|inexistent|"
    r"not a (?:valid|known) (?:user|mailbox|recipient|address)|no (?:such )?account|"
    r"existiert nicht|gibt es nicht|(?:benutzer|empf[äa]nger|adresse|postfach|mailbox|konto)\w* (?:ist )?unbekannt|"
    r"unbekannte[rn]? (?:benutzer|empf[äa]nger|adresse)|kein(?:en)? (?:solche[rn]? )?(?:benutzer|postfach)|"
    r"n'existe pas|(?:utilisateur|destinataire|adresse|bo[îi]te aux lettres|compte) (?:\w+ )?(?:inconnue?|inexistante?|introuvable)|"
    r"no existe|(?:usuario|destinatario|buz[óo]n|cuenta|direcci[óo]n) (?:\w+ )?(?:desconocid[oa]|inexistente)|"
    r"n[ãa]o existe|(?:usu[áa]rio|destinat[áa]rio|caixa postal|conta) (?:\w+ )?(?:desconhecid[oa]|inexistente)|"
    r"non esiste|(?:utente|destinatario|casella|indirizzo) (?:\w+ )?(?:sconosciut[oa]|inesistente|non trovat[oa])|"
    r"bestaat niet|onbekende? (?:gebruiker|ontvanger|adres|mailbox)|(?:gebruiker|ontvanger) (?:is )?onbekend|"
    r"nie istnieje|nieznany (?:u[żz]ytkownik|adresat|odbiorca)|brak (?:takiego )?(?:u[żz]ytkownika|konta|skrzynki)|"
    r"neexistuje|nezn[áa]m[ýy] (?:u[žz]ivatel|p[řr][íi]jemce)|finns inte|ok[äa]nd (?:anv[äa]ndare|mottagare)|"
    r"findes ikke|finnes ikke|ukendt (?:bruger|modtager)|ukjent (?:bruker|mottaker)|ei ole olemassa|tuntematon (?:k[äa]ytt[äa]j[äa]|vastaanottaja)|"
    r"не существует|нет такого (?:пользователя|адреса|ящика)|неизвестный (?:пользователь|адресат|получатель)|"
    r"存在しません|宛先不明|該当するユーザ")
# The subset that states the mailbox's absence outright, rather than a lookup's result ("user unknown",
# "no such user": the words content filters and gateways answer with, Sisimai reason/filtered.rb): these
# stay invalid_mailbox even under a bare 550/554 with no RCPT evidence.
_EXISTENCE = re.compile(
    r"(?:does not|doesn'?t) exist|\bno mailbox\b|bad[_ ]recipient|not our customer|no such (?:mailbox|recipient|address|account)|"
    r"(?:mailbox|recipient|address|account) (?:not found|does not exist)|non-?existent|inexistent|"
    r"existiert nicht|gibt es nicht|n'existe pas|no existe|n[ãa]o existe|non esiste|bestaat niet|nie istnieje|"
    r"neexistuje|finns inte|findes ikke|finnes ikke|ei ole olemassa|не существует|存在しません")
_ABOUT_A_DOMAIN = re.compile(r"\b(?:domain|host|hostname|mx|server|dns|zone|domäne|domaine|dominio|domein|domena)\b\W+(?:\S+\W+){0,3}?"
                             r"(?:does not|doesn'?t|not|no|n'existe|existiert|non|bestaat|nie|unknown|unbekannt|inconnu)")


def _missing_mailbox(lowered: str) -> bool:
    m = _MISSING_MAILBOX.search(lowered)
    return bool(m) and not _ABOUT_A_DOMAIN.search(lowered[max(0, m.start() - 60):m.end()])


def _status_key(status: str | None) -> str | None:
    if not status:
        return None
    _, subject, detail = status.split(".")
    return f"X.{int(subject)}.{int(detail)}"


_DEFAULT_SIGNATURE = {
    "invalid_mailbox": "user_unknown", "invalid_domain": "domain_unknown", "mailbox_disabled": "user_disabled",
    "mailbox_full": "mailbox_full", "message_too_large": "message_too_large", "reputation_block": "reputation_block",
    "policy_block": "policy", "sender_rejected": "sender_rejected", "spam_content": "content_spam",
    "authentication": "authentication", "rate_limited": "rate_limit", "technical": "technical",
    "auto_reply": "auto_reply", "complaint": "complaint", "delivered": "delivered", "suppressed": "suppressed",
}


def _default_signature(category: str) -> str | None:
    return _DEFAULT_SIGNATURE.get(category)


def classify_record(record) -> Classification:
    """Classify a parsed bounce record, honouring what its layout already said (ARF, auto-reply…)."""
    hint = record.category_hint
    if hint in ("complaint", "auto_reply", "delivered", "suppressed"):
        vendor = vendor_for_host(record.remote_mta)
        return Classification(category=hint, hard=False, vendor=vendor, signature=hint,
                              explanation=explain(hint, hint, vendor, False, False),
                              status=normalize_status(record.status), reply_code=record.reply_code, rule=f"layout:{hint}")
    if not record.diagnostic and not record.status and not record.reply_code:
        # The reader's note is a technical detail (as the reply itself): it stays as written (issue 23).
        explanation = (Sentence.gettext("Not enough information: %(reason)s.", reason=record.note) if record.note
                       else Sentence.gettext("Not enough information: the bounce gives no status and no diagnostic."))
        return Classification(category="unknown", hard=False, vendor=vendor_for_host(record.remote_mta), signature=None,
                              explanation=explanation.render(), status=None, reply_code=None)
    result = classify(record.diagnostic, record.status, record.reply_code, record.stage, record.remote_mta)
    if (record.action or "").lower() == "delayed" and rule_families.on("delay") and (result.hard or not result.temporary):
        # A delay warning (RFC 3464 Action: delayed; plain-text "will continue to try") reports a delivery
        # still being retried: temporary, never hard, whatever the last reply said.
        hard = False
        result = replace(result, hard=hard, temporary=True,
                         explanation=explain(result.category, result.signature, result.vendor, hard, True))
    return result
