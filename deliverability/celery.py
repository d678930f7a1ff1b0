"""The Celery application. Workers: `celery -A deliverability worker -Q default,import,enrich,reports`."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")

app = Celery("deliverability")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
