from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("closing", "0007_run_posted_amounts")]

    operations = [
        migrations.AddField(
            model_name="closingrun",
            name="progress_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="closingrun",
            name="requeues",
            field=models.PositiveSmallIntegerField(default=0, help_text="Times the run was found stalled and queued again."),
        ),
    ]
