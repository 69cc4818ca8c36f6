from django.db import migrations


def create_test_tag(apps, schema_editor):
    SetTag = apps.get_model("images", "SetTag")
    SetTag.objects.get_or_create(name="test")


class Migration(migrations.Migration):
    dependencies = [("images", "0001_initial")]

    operations = [migrations.RunPython(create_test_tag, migrations.RunPython.noop)]
