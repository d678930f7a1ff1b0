"""The event table's campaign index no longer carries the domain (see Event.Meta): the new one is built
before the old one goes, so campaign scans always have an index."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("campaigns", "0011_recipient_only_its_key")]

    operations = [
        migrations.AddIndex(model_name="event", index=models.Index(fields=["campaign"], name="event_campaign")),
        migrations.RemoveIndex(model_name="event", name="event_campaign_domain"),
    ]
