# Fill a bundle's typed subject from what named it before: the application link, or a subject
# key such as "enterprise:12". The keys are parsed here and nowhere else.

from django.db import migrations

# The prefixes the apps wrote into subject keys, and the models they named.
PREFIXES = {
    "round": ("evaluation", "reviewround"),
    "publicity": ("evaluation", "publicity"),
    "enterprise": ("pilots", "pilotenterprise"),
}
APPLICATION = ("applications", "application")


def subject_from_key(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    DocumentBundle = apps.get_model("portal", "DocumentBundle")
    types = {}

    def type_id(natural_key):
        if natural_key not in types:
            app_label, model = natural_key
            types[natural_key] = ContentType.objects.get_or_create(
                app_label=app_label, model=model
            )[0].pk
        return types[natural_key]

    for bundle in DocumentBundle.objects.filter(subject_type__isnull=True).iterator():
        if bundle.application_id is not None:
            natural_key, subject_id = APPLICATION, bundle.application_id
        else:
            prefix, _, number = bundle.subject_key.partition(":")
            if prefix not in PREFIXES or not number.isdigit():
                # Every bundle must have a subject; a key nobody wrote is not guessed at.
                raise ValueError(
                    f"document bundle {bundle.pk} ({bundle.kind}) has no subject the portal "
                    f"knows: {bundle.subject_key!r}"
                )
            natural_key, subject_id = PREFIXES[prefix], int(number)
        DocumentBundle.objects.filter(pk=bundle.pk).update(
            subject_type_id=type_id(natural_key), subject_id=subject_id
        )


def key_from_subject(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    DocumentBundle = apps.get_model("portal", "DocumentBundle")
    prefixes = {natural_key: prefix for prefix, natural_key in PREFIXES.items()}
    for bundle in DocumentBundle.objects.filter(subject_type__isnull=False).iterator():
        subject_type = ContentType.objects.get(pk=bundle.subject_type_id)
        natural_key = (subject_type.app_label, subject_type.model)
        if natural_key == APPLICATION:
            fields = {"application_id": bundle.subject_id, "subject_key": ""}
        else:
            fields = {"subject_key": f"{prefixes[natural_key]}:{bundle.subject_id}"}
        DocumentBundle.objects.filter(pk=bundle.pk).update(**fields)


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0005_documentbundle_subject_type'),
    ]

    operations = [
        migrations.RunPython(subject_from_key, key_from_subject),
    ]
