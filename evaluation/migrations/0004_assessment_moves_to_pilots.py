# The assessment model now belongs to pilots (pilots 0011); only the state changes here, the
# table is kept and renamed by pilots 0012.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("evaluation", "0003_assessment_enterprise_and_more"),
        ("pilots", "0011_assessment_moves_to_pilots"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Assessment")],
            database_operations=[],
        ),
    ]
