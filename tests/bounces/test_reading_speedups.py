"""The reader's shortcuts give the answers of what they replace (issue 16, speed)."""
import random
from email.message import Message

from deliverability.bounces.reading.mime import _HEADER_END, Head, _header_end, mime_tree


def test_header_end_finds_what_the_blank_line_regex_finds():
    rng = random.Random(16)
    pieces = [b"A: b", b"\n", b"\r\n", b"\r", b"\n\n", b"\r\n\r\n", b"\n\r\n", b"x", b" "]
    samples = [b"", b"\n\n", b"\r\n\r\n", b"a\n\r\n", b"a\r\n\n", b"\n\r\n\n"]
    samples += [b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12))) for _ in range(5000)]
    for data in samples:
        m = _HEADER_END.search(data)
        assert _header_end(data) == (m.end() if m else -1), data


def test_indexed_headers_answer_as_the_stdlib_message_does():
    head, plain = Head(), Message()
    for msg in (head, plain):
        msg._headers.extend([("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"'),
                             ("Received", "one"), ("received", "two"), ("X-Name", "v")])
    for name in ("content-type", "RECEIVED", "x-name", "missing"):
        assert head.get(name) == plain.get(name) and head.get_all(name) == plain.get_all(name)
        assert (name in head) == (name in plain)
    assert head.get_content_type() == plain.get_content_type() == "multipart/report"
    for param in ("report-type", "boundary", "charset", "name"):
        assert head.get_param(param) == plain.get_param(param)
    head.replace_header("Content-Type", "text/plain; charset=latin-1")  # a change drops the index
    assert head.get_content_type() == "text/plain" and head.get_param("charset") == "latin-1"


def test_a_parsed_part_still_reads_rfc2231_parameters():
    msg = mime_tree(b"Content-Type: text/plain; name*=utf-8''caf%C3%A9.txt\r\n\r\nbody")
    reference = Message()
    reference._headers.extend(msg._headers)  # the same stored headers, read by the stdlib
    assert msg.get_filename() == reference.get_filename() == "caf\u00e9.txt"
    assert msg.get_param("name") == reference.get_param("name")
