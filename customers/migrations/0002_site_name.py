"""allauth's e-mails name the site: call it Masternet Indonesia, not example.com."""

from django.db import migrations


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    Site.objects.update_or_create(
        pk=1, defaults={"domain": "portal.masternet.co.id", "name": "Masternet Indonesia"}
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial"), ("sites", "0002_alter_domain_unique")]

    operations = [migrations.RunPython(name_site, migrations.RunPython.noop)]
