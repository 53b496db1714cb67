"""API tokens moved to django-rest-knox (hashed, expiring, one per login): the table of DRF's
plain-text tokens goes, and with it every token it held (their owners log in again)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("coordination", "0006_email_notice"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "DROP TABLE IF EXISTS authtoken_token",
                # So that the app, were it ever installed again, would create its table anew.
                "DELETE FROM django_migrations WHERE app = 'authtoken'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
