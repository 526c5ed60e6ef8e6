# The moved assessment table takes the name of its new app.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("pilots", "0011_assessment_moves_to_pilots"),
        ("evaluation", "0004_assessment_moves_to_pilots"),
    ]

    operations = [
        migrations.AlterModelTable(name="assessment", table=None),
    ]
