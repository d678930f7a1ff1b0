"""Signals of the import pipeline."""
from django.dispatch import Signal

# Sent after each committed batch of an import: upload_id, rows_done.
batch_committed = Signal()
