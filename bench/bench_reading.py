"""Reading quality per corpus source, with each rule family switched off in turn (ablation). Not a test.

    .venv/bin/python bench/bench_reading.py [--misses] [--write]

Sisimai-labelled emails (sisimai-dev): records found (a recipient that is an address) and category agreement
per source group. Both corpora: phantom recipients (a msg-id or a text without an "@" reported as one).
Other parsers' samples (peers-dev): recipients found, permanent vs temporary, "does not exist" flag,
not-a-bounce, reply code and status, per source. Then the same with one family of
``deliverability/bounces/rules.py`` off at a time: a rule that only helps one source is suspect.
With --write, the tables replace the section between the markers in deliverability/bounces/AGREEMENT.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The engine is pure Python, but its explanations may go through Django's translation functions
# (user-facing strings, issue 23): configure Django as the other bench scripts do.
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")

import django  # noqa: E402

django.setup()

from deliverability.bounces.measure import PEER_MEASURES, peer_scores, phantom_recipients, sisimai_scores  # noqa: E402
from deliverability.bounces.rules import FAMILIES, rules_off  # noqa: E402
from deliverability.devtools.corpora import shared_data  # noqa: E402

SISIMAI = shared_data("sisimai-dev")
PEERS = shared_data("peers-dev")
BEGIN, END = "<!-- bench_reading: begin -->", "<!-- bench_reading: end -->"


def tables(show_misses: bool) -> str:
    s, p = sisimai_scores(SISIMAI), peer_scores(PEERS)
    out = [f"Measured {dt.date.today().isoformat()} with `bench/bench_reading.py --write`.", "",
           "**Sisimai-labelled emails (sisimai-dev), per source group**", "",
           "| source | records found | category agreement |", "|---|---|---|"]
    out += [f"| {g} | {sc['found']} | {sc['category']} |" for g, sc in sorted(s.items(), key=lambda i: i[0] == "all")]
    out += ["", "**Other parsers' samples (peers-dev), per source** (messages with that field labelled)", "",
            "| source | " + " | ".join(PEER_MEASURES) + " |", "|---" * (len(PEER_MEASURES) + 1) + "|"]
    out += [f"| {g} | " + " | ".join(str(sc[m]) for m in PEER_MEASURES) + " |"
            for g, sc in sorted(p.items(), key=lambda i: i[0] == "all")]
    phantoms = {name: phantom_recipients(corpus) for name, corpus in (("sisimai-dev", SISIMAI), ("peers-dev", PEERS))}
    out += ["", "**Phantom recipients** (every email of the corpus, labelled or not: records whose recipient is a msg-id "
            "of that email or a text without an \"@\"; lower is better)", "",
            "| corpus | phantom recipients |", "|---|---|"]
    out += [f"| {name} | {len(found)} |" for name, found in phantoms.items()]
    out += ["", "**Ablation: one rule family off at a time** (deliverability/bounces/rules.py; "
            "peers-dev cells show only the sources that change)", "",
            "| family off | sisimai-dev found | sisimai-dev category | peers-dev changes (source measure: on → off) |",
            "|---|---|---|---|"]
    for family in FAMILIES:
        with rules_off(family):
            s2, p2 = sisimai_scores(SISIMAI), peer_scores(PEERS)
        changes = [f"{src} {m} {p[src][m]} → {p2[src][m]}" for src in sorted(p) if src != "all"
                   for m in PEER_MEASURES if str(p[src][m]) != str(p2[src][m])]
        group_changes = [f"{g} {s[g]['category']} → {s2[g]['category']}" for g in sorted(s) if g != "all"
                         and str(s[g]["category"]) != str(s2[g]["category"])]
        out.append(f"| {family} | {s2['all']['found']} | {s2['all']['category']}"
                   f"{' (' + ', '.join(group_changes) + ')' if group_changes else ''} | "
                   f"{'; '.join(changes) or 'no change'} |")
    if show_misses:
        out += ["", "Misses:"]
        out += [f"- sisimai-dev: {m}" for m in s["all"]["category"].misses]
        out += [f"- {name} phantom recipient: {m}" for name, found in phantoms.items() for m in found]
        out += [f"- peers-dev {m_name}: {m}" for src, sc in sorted(p.items()) if src != "all"
                for m_name in PEER_MEASURES for m in sc[m_name].misses]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="list every disagreement")
    parser.add_argument("--write", action="store_true", help="update deliverability/bounces/AGREEMENT.md")
    args = parser.parse_args()
    text = tables(args.misses)
    print(text)
    if args.write:
        path = ROOT / "deliverability" / "bounces" / "AGREEMENT.md"
        doc = path.read_text()
        start, end = doc.find(BEGIN), doc.find(END)
        if start < 0 or end < 0:
            raise SystemExit(f"{path}: markers {BEGIN} … {END} not found")
        path.write_text(doc[:start + len(BEGIN)] + "\n" + text + "\n" + doc[end:])


if __name__ == "__main__":
    main()
