# Assessments are written by pilot execution, so the model moves from evaluation to pilots.
# The table stays: this migration only adds the model to pilots' state (on the existing table),
# evaluation 0004 removes it from evaluation's state, and 0012 renames the table.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("pilots", "0010_programme_period"),
        ("evaluation", "0003_assessment_enterprise_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Assessment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("stage", models.CharField(choices=[("before", "before transformation"), ("after", "after transformation")], max_length=8, verbose_name="stage")),
                        ("kind", models.CharField(choices=[("self", "self-assessment"), ("onsite", "on-site assessment")], max_length=8, verbose_name="kind")),
                        ("index_version", models.PositiveIntegerField(default=2024)),
                        ("answers", models.JSONField(default=dict)),
                        ("base_score", models.DecimalField(decimal_places=2, default=0, max_digits=6, verbose_name="score")),
                        ("dimension_scores", models.JSONField(default=dict)),
                        ("level", models.PositiveSmallIntegerField(default=0, verbose_name="level")),
                        ("assessed_at", models.DateTimeField(auto_now=True)),
                        ("assessed_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("enterprise", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="assessments", to="pilots.pilotenterprise")),
                    ],
                    options={"db_table": "evaluation_assessment"},
                ),
                migrations.AddConstraint(
                    model_name="assessment",
                    constraint=models.UniqueConstraint(fields=("enterprise", "stage", "kind"), name="assessment_unique_stage_kind"),
                ),
            ],
            database_operations=[],
        ),
    ]
