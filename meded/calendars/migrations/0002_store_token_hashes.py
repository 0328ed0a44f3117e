"""Calendar feed tokens are stored as their SHA-256 only; existing links keep working (their
tokens are hashed here). Irreversible: a token cannot be recovered from its hash."""

import hashlib

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    CalendarFeed = apps.get_model("calendars", "CalendarFeed")
    feeds = list(CalendarFeed.objects.all().only("id", "token"))
    for feed in feeds:
        feed.token_hash = hashlib.sha256(feed.token.encode("utf-8")).hexdigest()
    CalendarFeed.objects.bulk_update(feeds, ["token_hash"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("calendars", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, reverse_code=None),
        migrations.RemoveField(model_name="calendarfeed", name="token"),
        migrations.AlterField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
