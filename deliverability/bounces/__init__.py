"""Bounce engine: SMTP/DSN parsing, taxonomy, vendor signatures, classify(). Pure Python, no Django."""
from .classify import Classification, classify, classify_record
from .smtp import Reply, parse_reply

__all__ = ["Classification", "Reply", "classify", "classify_record", "parse_reply"]
