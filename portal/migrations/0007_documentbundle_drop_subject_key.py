# Every bundle has its typed subject now (0006): drop the application link and the subject key,
# and allow one bundle per kind and subject.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0006_documentbundle_subject_from_key'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='documentbundle',
            name='bundle_one_per_application',
        ),
        migrations.RemoveConstraint(
            model_name='documentbundle',
            name='bundle_one_per_subject',
        ),
        migrations.RemoveField(
            model_name='documentbundle',
            name='application',
        ),
        migrations.RemoveField(
            model_name='documentbundle',
            name='subject_key',
        ),
        migrations.AlterField(
            model_name='documentbundle',
            name='subject_type',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AlterField(
            model_name='documentbundle',
            name='subject_id',
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name='documentbundle',
            constraint=models.UniqueConstraint(fields=('subject_type', 'subject_id', 'kind'), name='bundle_one_per_subject'),
        ),
    ]
