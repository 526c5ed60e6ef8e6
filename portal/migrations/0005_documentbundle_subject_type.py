# Bundles point at their subject by content type and id. Three steps, so that PostgreSQL never
# alters the table in the transaction that rewrote its rows: add the columns (nullable), fill
# them from the old application link and subject key (0006), then drop those and require them
# (0007).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('portal', '0004_bundle_subjects'),
    ]

    operations = [
        migrations.AddField(
            model_name='documentbundle',
            name='subject_type',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AddField(
            model_name='documentbundle',
            name='subject_id',
            field=models.PositiveBigIntegerField(null=True),
        ),
    ]
