"""Signals of the verdict layer; the pages above it (weekly review) listen."""
from django.dispatch import Signal

# Sent after a campaign's verdicts changed without new events (a staff override): organization_id, campaign_ids.
verdicts_changed = Signal()
