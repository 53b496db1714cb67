"""The reviewer notes move from the coordination app to the review app.

Only Django's idea of where the model lives changes: the table ``coordination_reviewernote``
stays as it is, with its rows (the model says so with ``db_table``), and the note's content
type is renamed rather than made anew, so that its permissions and the admin's history
entries keep pointing at it. ``coordination.0008_reviewer_note_moved`` drops the model from
the coordination app's state once it is here.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def adopt_content_type(apps, schema_editor):
    """The note's content type (and so its permissions) now belongs to the review app."""
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias)
    if not content_types.filter(app_label="review", model="reviewernote").exists():
        content_types.filter(app_label="coordination", model="reviewernote").update(
            app_label="review")


def return_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias)
    if not content_types.filter(app_label="coordination", model="reviewernote").exists():
        content_types.filter(app_label="review", model="reviewernote").update(
            app_label="coordination")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("coordination", "0007_drop_drf_token_table"),
        ("events", "0003_event_publish_description"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReviewerNote",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("written_at", models.DateTimeField(auto_now_add=True, verbose_name="written at")),
                        ("body", models.TextField(verbose_name="note")),
                        ("author", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="author")),
                        ("event", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="reviewer_notes", to="events.event", verbose_name="event")),
                    ],
                    options={
                        "verbose_name": "reviewer note",
                        "verbose_name_plural": "reviewer notes",
                        "ordering": ["event", "written_at", "pk"],
                        "db_table": "coordination_reviewernote",
                    },
                ),
            ],
            database_operations=[],  # the table is already there, rows and all
        ),
        migrations.RunPython(adopt_content_type, return_content_type),
    ]
