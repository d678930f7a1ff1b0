"""Hypothesis fuzzing: the parsers never raise, whatever the bytes."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliverability.bounces import classify, parse_reply
from deliverability.bounces.reading import parse_message
from deliverability.bounces.taxonomy import CATEGORIES

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_header_names = st.sampled_from(["From", "To", "Subject", "Content-Type", "Final-Recipient", "Status",
                                 "Diagnostic-Code", "Action", "X-Failed-Recipients", "Auto-Submitted"])
_lines = st.lists(st.tuples(_header_names, st.text(max_size=60)), max_size=8)


@FAST
@given(st.binary(max_size=4000))
def test_parse_message_never_raises_on_random_bytes(data):
    records = parse_message(data)
    assert records and all(r.index >= 1 for r in records)


@FAST
@given(_lines, st.text(max_size=500), st.sampled_from(["multipart/report; boundary=X", "text/plain",
                                                       "message/delivery-status", "multipart/mixed; boundary=X"]))
def test_parse_message_never_raises_on_mail_shaped_input(headers, body, ctype):
    head = "".join(f"{k}: {v}\r\n" for k, v in headers) + f"Content-Type: {ctype}\r\n"
    data = (head + "\r\n--X\r\nContent-Type: message/delivery-status\r\n\r\n" + body + "\r\n--X--\r\n").encode(
        "utf-8", "surrogatepass")
    assert parse_message(data)


@FAST
@given(st.text(max_size=400))
def test_parse_reply_never_raises(text):
    reply = parse_reply(text)
    assert reply.reply_code is None or 200 <= reply.reply_code <= 599


@FAST
@given(st.one_of(st.none(), st.text(max_size=300)), st.one_of(st.none(), st.text(max_size=12)),
       st.one_of(st.none(), st.integers(min_value=-1000, max_value=1000)),
       st.sampled_from([None, "RCPT", "DATA", "MAIL", "CONNECT", "junk"]), st.one_of(st.none(), st.text(max_size=40)))
def test_classify_always_returns_a_known_category(diagnostic, status, code, stage, remote):
    result = classify(diagnostic, status, code, stage, remote)
    assert result.category in CATEGORIES and result.explanation
