# Enrolment requests store codes, as pilot enterprises do, instead of the form's labels: sizes and
# tiers become PilotEnterprise codes, 规上/规下 a boolean, revenue and profit numbers.

from decimal import Decimal, InvalidOperation

from django.db import migrations, models

SCALES = {"中型": "medium", "中型企业": "medium", "小型": "small", "小型企业": "small",
          "微型": "micro", "微型企业": "micro"}
TIERS = {"": "none", "无": "none", "创新型": "innovative", "创新型中小企业": "innovative",
         "专精特新": "specialised", "专精特新中小企业": "specialised", "小巨人": "little_giant",
         "专精特新“小巨人”": "little_giant"}
ABOVE = {"规上": "1", "规模以上企业": "1", "规下": "0", "规模以下企业": "0"}


def _number(raw):
    try:
        return str(Decimal(str(raw).replace(",", "").strip())) if str(raw).strip() else None
    except InvalidOperation:
        return None


def to_codes(apps, schema_editor):
    EnrolmentRequest = apps.get_model("pilots", "EnrolmentRequest")
    for request in EnrolmentRequest._base_manager.all():
        request.scale = SCALES.get(request.scale, request.scale if request.scale in
                                   ("medium", "small", "micro") else "small")
        request.tier = TIERS.get(request.tier, request.tier or "none")
        request.above_scale = ABOVE.get(request.above_scale, "0")
        request.revenue = _number(request.revenue or "")
        request.profit = _number(request.profit or "")
        request.save(update_fields=["scale", "tier", "above_scale", "revenue", "profit"])


class Migration(migrations.Migration):

    dependencies = [
        ("pilots", "0012_assessment_table"),
    ]

    operations = [
        migrations.AlterField(
            model_name="enrolmentrequest", name="revenue",
            field=models.CharField(max_length=20, null=True, blank=True),
        ),
        migrations.AlterField(
            model_name="enrolmentrequest", name="profit",
            field=models.CharField(max_length=20, null=True, blank=True),
        ),
        migrations.AlterField(
            model_name="enrolmentrequest", name="scale", field=models.CharField(max_length=16),
        ),
        migrations.AlterField(
            model_name="enrolmentrequest", name="tier",
            field=models.CharField(max_length=16, blank=True),
        ),
        migrations.RunPython(to_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="enrolmentrequest",
            name="above_scale",
            field=models.BooleanField(verbose_name="above designated size"),
        ),
        migrations.AlterField(
            model_name="enrolmentrequest",
            name="profit",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name="last year's profit (10k yuan)"),
        ),
        migrations.AlterField(
            model_name="enrolmentrequest",
            name="revenue",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name="last year's revenue (10k yuan)"),
        ),
        migrations.AlterField(
            model_name="enrolmentrequest",
            name="scale",
            field=models.CharField(choices=[("medium", "medium"), ("small", "small"), ("micro", "micro")], max_length=16, verbose_name="size"),
        ),
        migrations.AlterField(
            model_name="enrolmentrequest",
            name="tier",
            field=models.CharField(choices=[("none", "none"), ("innovative", "innovative SME"), ("specialised", "specialised and sophisticated SME"), ("little_giant", "little giant")], default="none", max_length=16, verbose_name="tier"),
        ),
    ]
