from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cluster", "0005_sandbox_shape"),
    ]

    operations = [
        migrations.AddField(
            model_name="componentstate",
            name="failure",
            field=models.CharField(
                blank=True,
                help_text="the last tick's error, one line; empty: healthy",
                max_length=300,
            ),
        ),
        migrations.AddField(
            model_name="componentstate",
            name="failing_since",
            field=models.DateTimeField(
                blank=True,
                help_text="sandbox time of the first tick that failed in a row",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="componentstate",
            name="failed_ticks",
            field=models.PositiveIntegerField(default=0, help_text="ticks failed in a row"),
        ),
    ]
