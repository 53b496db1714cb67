"""A city's database made before the review became an app of its own migrates forward and
keeps everything: the reviewer notes (their table keeps its name), the notes' content type
and so its permissions, and the admin's history entries that point at a note.

The test takes the test database back to that layout (the coordination app at 0007, no
review app), writes there as the old code did, and migrates forward again
(review/migrations/0001_initial.py, coordination/migrations/0008_reviewer_note_moved.py).
"""

import pytest
from django.contrib.admin.models import ADDITION
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from review.models import ReviewerNote

BEFORE = ("coordination", "0007_drop_drf_token_table")

pytestmark = pytest.mark.django_db(transaction=True)


def _old_layout_apps():
    """Migrate the database back to the layout before the review app; its models then."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE, ("review", None)])
    graph = MigrationExecutor(connection).loader.graph
    nodes = [leaf for leaf in graph.leaf_nodes() if leaf[0] not in {"coordination", "review"}]
    return MigrationExecutor(connection).loader.project_state([*nodes, BEFORE]).apps


def _migrate_to_the_new_layout() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def test_a_note_written_before_the_review_was_an_app_is_still_there(alices_event, dave):
    old = _old_layout_apps()
    OldNote = old.get_model("coordination", "ReviewerNote")
    note = OldNote.objects.create(event_id=alices_event.pk, author_id=dave.pk,
                                  body="The liaison worked; the route sign-off came late.")
    old_type = old.get_model("contenttypes", "ContentType").objects.get(
        app_label="coordination", model="reviewernote")
    # The admin's history and the model's permissions, as the old layout kept them.
    old.get_model("admin", "LogEntry").objects.create(
        user_id=dave.pk, content_type_id=old_type.pk, object_id=str(note.pk),
        object_repr="a note", action_flag=ADDITION)
    assert old.get_model("auth", "Permission").objects.filter(
        content_type_id=old_type.pk, codename="view_reviewernote").exists()

    _migrate_to_the_new_layout()

    kept = ReviewerNote.objects.get(pk=note.pk)
    assert (kept.event, kept.author) == (alices_event, dave)
    assert kept.body == "The liaison worked; the route sign-off came late."
    assert ReviewerNote._meta.db_table == "coordination_reviewernote"
    # The same content type, now the review app's: its permissions and history follow it.
    note_type = ContentType.objects.get_for_model(ReviewerNote)
    assert note_type.pk == old_type.pk
    assert (note_type.app_label, note_type.model) == ("review", "reviewernote")
    assert not ContentType.objects.filter(app_label="coordination",
                                          model="reviewernote").exists()
    assert Permission.objects.get(codename="view_reviewernote").content_type == note_type
    entry = AdminLogEntry.objects.get(object_id=str(note.pk))
    assert entry.get_edited_object() == kept


def test_the_new_layout_writes_where_the_old_one_read(alices_event, dave):
    """Migrating back (say, to roll a release back) finds the notes written since."""
    note = ReviewerNote.objects.create(event=alices_event, author=dave, body="Written now.")
    old = _old_layout_apps()
    assert old.get_model("coordination", "ReviewerNote").objects.get(pk=note.pk).body == (
        "Written now.")
    _migrate_to_the_new_layout()
    assert ReviewerNote.objects.get(pk=note.pk).body == "Written now."
