from django.db import migrations, models


def mark_plans_stale(apps, schema_editor):
    # Plans stored before this migration have no rule-2 lines (RecoveryEntry with an empty ESP), so an update of a
    # few addresses (recovery.update_plan) could not read back what they decided: each is computed again whole at
    # the next refresh (an empty `inputs` is recovery.FORCE_RECOMPUTE), and shown as being computed meanwhile.
    apps.get_model("verdicts", "CampaignRecovery").objects.update(inputs={})


class Migration(migrations.Migration):

    dependencies = [
        ('verdicts', '0005_stored_recovery_and_vendor_rollups'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='recoveryentry',
            index=models.Index(fields=['campaign', 'email'], name='recovery_entry_email'),
        ),
        migrations.RunPython(mark_plans_stale, migrations.RunPython.noop),
    ]
