"""Signals of the import pipeline. Layers above (verdicts) listen; campaigns does not import them."""
from django.dispatch import Signal

# Sent after each committed batch of an import: upload_id, rows_done.
batch_committed = Signal()
# Sent when an upload's events are all in (after commit): upload_id.
upload_imported = Signal()
# Sent when campaigns lost events (an upload was deleted): organization_id, campaign_ids.
campaigns_changed = Signal()
