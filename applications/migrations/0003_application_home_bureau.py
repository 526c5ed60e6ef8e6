"""Each book carries the bureau it is filed with (its applicant's home bureau), so the staff lists
filter and count on the book's own indexes."""

from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery


def file_with_home_bureau(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Organization = apps.get_model("portal", "Organization")
    Application.objects.update(
        home_bureau_id=Subquery(
            Organization.objects.filter(pk=OuterRef("organization_id")).values("home_bureau_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_staff_list_indexes"),
        ("portal", "0018_api_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="home_bureau",
            field=models.ForeignKey(
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="portal.bureau",
                verbose_name="filed with",
            ),
        ),
        migrations.RunPython(file_with_home_bureau, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="application",
            name="home_bureau",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="portal.bureau",
                verbose_name="filed with",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=~Q(status__in=["draft", "withdrawn"]),
                fields=["home_bureau", "-submitted_at", "-id"],
                name="application_bureau_filed",
            ),
        ),
    ]
