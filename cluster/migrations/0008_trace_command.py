from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cluster", "0007_trace_user_agent"),
    ]

    operations = [
        migrations.AddField(
            model_name="trace",
            name="command",
            field=models.TextField(
                blank=True,
                help_text="The kubectl command the user's click or YAML stands for; empty if none.",
            ),
        ),
    ]
