"""campaigns_recipient keeps only its key and the unique (organisation, address) index.

An import of a million new addresses paid, per address, for a deferred foreign-key check at commit
(6 µs) and for the (organisation, domain) index (8 µs: random inserts into long posting lists), more
than the unique index itself (bench/bench_import.py, single-send shape). Organisation deletion cascades
through the ORM, and domains are found through RecipientSearch (migration 0009).
"""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_audit_action_retention_set"),
        ("campaigns", "0010_upload_analysis_claim"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recipient",
            name="organization",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="recipients", to="accounts.organization"),
        ),
        migrations.RemoveIndex(model_name="recipient", name="recipient_org_domain"),
    ]
