"""Bounce emails → one record per failed recipient.

Reads RFC 3464 delivery status notifications (``message/delivery-status``), ARF feedback reports
(RFC 5965), auto-replies (RFC 3834), Amazon SES notifications, and the plain-text layouts that
MTAs such as Exim, qmail, Sendmail V5, Yahoo, Gmail or appliances write instead of a DSN.

Never raises on bad input: a message we cannot read yields one record with ``category_hint``
``None``, no diagnostic and a ``note`` saying why.

The modules, in the order a message goes through them:

- ``message``   ``parse_message``: the layouts, tried from the most to the least explicit
- ``mime``      bytes → the parts that matter (lazy MIME walking; the returned original left unparsed)
- ``fields``    values inside the parts: header-style field blocks, addresses, dates
- ``reports``   machine-readable layouts: RFC 3464, ARF and the complaints sent without it, Amazon SES
- ``text``      the bounce's own words: which recipients they name, the lines about each
- ``plaintext`` bounces with no report: the MTAs' plain-text layouts
- ``notices``   not bounces but sent back the same way: list refusals, auto-replies
- ``record``    what comes out (``BounceRecord``) and the bounds on reading
"""
from .message import parse_message
from .record import SUCCESS_ACTIONS, BounceRecord

__all__ = ["SUCCESS_ACTIONS", "BounceRecord", "parse_message"]
