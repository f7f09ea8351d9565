from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cluster", "0010_store_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="sandbox",
            name="idle",
            field=models.BooleanField(
                default=False,
                help_text="nobody has it open and no work is due: its clock stands still",
            ),
        ),
    ]
