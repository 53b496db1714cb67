"""The reviewer notes now belong to the review app (review/migrations/0001_initial.py): the
model leaves this app's state; its table stays, with its rows, for the review app."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("coordination", "0007_drop_drf_token_table"),
        ("review", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ReviewerNote")],
            database_operations=[],  # the table is the review app's now
        ),
    ]
