"""Moved to ``deliverability.verdicts.erasure`` (erasure crosses every layer, so it sits at the top).

Kept only while ``accounts/views.py`` still imports it from here; delete this module when the
erase view imports ``deliverability.verdicts.erasure`` (and moves out of ``accounts``, which the
layers contract keeps below ``verdicts``).
"""
from deliverability.verdicts.erasure import erase_address

__all__ = ["erase_address"]
