"""The log cannot be changed: the database itself refuses to edit or delete an entry, and any
change made with its guard switched off is found by /log/verify and verify_log, which name the
first entry that no longer holds."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from coordination.models import LogEntry
from events import services
from tests.support.factories import event_fields
from tests.support.logs import TABLE, raw, tamper, triggers_disabled

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="PostgreSQL trigger")
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite trigger")


@pytest.fixture
def reviewed_event(alices_event, carol):
    """Alice's event with a few entries: created, submitted, two members, under review, agreed."""
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="agreed", actor=carol)
    alices_event.refresh_from_db()
    return alices_event


def entry_id(event, seq):
    return LogEntry.objects.get(event=event, seq=seq).pk


def refused(sql, params=None):
    """Run ``sql`` in its own savepoint and return the database's error (None if it ran)."""
    try:
        with transaction.atomic():
            raw(sql, params)
    except DatabaseError as error:
        return error
    return None


def verification(client, event):
    response = client.get(f"/api/v1/events/{event.pk}/log/verify")
    assert response.status_code == 200, response.content
    return response.json()


def verify_log_command(event):
    out = io.StringIO()
    try:
        call_command("verify_log", event.reference, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


# --- the database refuses ----------------------------------------------------------------


def test_database_refuses_to_edit_a_log_entry(reviewed_event):
    error = refused(f"UPDATE {TABLE} SET data = %s WHERE id = %s",
                    ['{"forged": true}', entry_id(reviewed_event, 3)])

    assert error is not None
    assert "append-only" in str(error)
    assert LogEntry.objects.get(event=reviewed_event, seq=3).data != {"forged": True}


def test_database_refuses_to_delete_a_log_entry(reviewed_event):
    error = refused(f"DELETE FROM {TABLE} WHERE id = %s", [entry_id(reviewed_event, 3)])

    assert error is not None
    assert "append-only" in str(error)
    assert reviewed_event.log_entries.count() == 6


def test_database_refuses_to_empty_the_log_through_the_orm(reviewed_event):
    # Even the application's own ORM cannot: a bulk update or delete is refused as a whole.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(event=reviewed_event).update(kind="nothing")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(event=reviewed_event).delete()

    assert sorted(reviewed_event.log_entries.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6]


@on_postgresql
def test_postgresql_refuses_to_truncate_the_log(reviewed_event):
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # as in a fresh transaction: no checks pending
    error = refused(f"TRUNCATE {TABLE}")

    assert error is not None
    assert "append-only" in str(error)
    assert reviewed_event.log_entries.count() == 6


@on_postgresql
def test_postgresql_trigger_is_installed_on_the_log_table(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
            "AND tgenabled = 'O' ORDER BY tgname", [TABLE])
        names = [row[0] for row in cursor.fetchall()]

    assert names == ["coordination_log_no_truncate", "coordination_log_no_update_delete"]


@on_sqlite
def test_sqlite_triggers_are_installed_on_the_log_table(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                       "ORDER BY name", [TABLE])
        names = [row[0] for row in cursor.fetchall()]

    assert names == ["coordination_log_no_delete", "coordination_log_no_update"]


def test_appending_still_works_with_the_guard_in_place(reviewed_event, carol, api):
    services.transition_event(reviewed_event, to="live", actor=carol)

    assert reviewed_event.log_entries.count() == 7
    assert verification(api(carol), reviewed_event)["valid"] is True


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_still_be_reset(alice):
    # The teardown of this test flushes every table, the log included (tests/conftest.py);
    # the next transactional test starting empty proves it.
    services.register_event(organiser=alice, **event_fields())

    assert LogEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_starts_with_an_empty_log():
    assert not LogEntry.objects.exists()


# --- with the guard switched off, verification finds the change --------------------------


def test_edited_entry_is_found_by_api_and_command(reviewed_event, carol, api):
    tamper(f"UPDATE {TABLE} SET data = %s WHERE id = %s",
           ['{"username": "mallory", "role": "police"}', entry_id(reviewed_event, 4)])

    assert verification(api(carol), reviewed_event) == {
        "valid": False, "entries": 6, "first_bad_seq": 4}
    status, output = verify_log_command(reviewed_event)
    assert status == 1
    assert f"{reviewed_event.reference}: BROKEN at seq 4" in output


def test_deleted_entry_is_found_by_api_and_command(reviewed_event, carol, api):
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [entry_id(reviewed_event, 2)])

    assert verification(api(carol), reviewed_event) == {
        "valid": False, "entries": 5, "first_bad_seq": 2}
    status, output = verify_log_command(reviewed_event)
    assert status == 1
    assert "BROKEN at seq 2" in output


def test_swapped_entries_are_found_by_api_and_command(reviewed_event, carol, api):
    # Entries 3 and 4 trade places: each keeps its own hash, but neither chains any more.
    third, fourth = entry_id(reviewed_event, 3), entry_id(reviewed_event, 4)
    with triggers_disabled():
        raw(f"UPDATE {TABLE} SET seq = 1000 WHERE id = %s", [third])
        raw(f"UPDATE {TABLE} SET seq = 3 WHERE id = %s", [fourth])
        raw(f"UPDATE {TABLE} SET seq = 4 WHERE id = %s", [third])

    assert verification(api(carol), reviewed_event) == {
        "valid": False, "entries": 6, "first_bad_seq": 3}
    assert verify_log_command(reviewed_event)[0] == 1


def test_swapped_contents_are_found_at_the_first_of_them(reviewed_event, carol, api):
    # A subtler swap: the kind and data of entries 5 and 6 exchanged, seq and hash left alone.
    fifth = LogEntry.objects.get(event=reviewed_event, seq=5)
    sixth = LogEntry.objects.get(event=reviewed_event, seq=6)
    with triggers_disabled():
        for mine, theirs in ((fifth, sixth), (sixth, fifth)):
            raw(f"UPDATE {TABLE} SET kind = %s, data = %s WHERE id = %s",
                [theirs.kind, json.dumps(theirs.data), mine.pk])

    assert verification(api(carol), reviewed_event)["first_bad_seq"] == 5


def test_guard_is_back_after_tampering(reviewed_event):
    tamper(f"UPDATE {TABLE} SET kind = %s WHERE id = %s",
           ["event.nothing", entry_id(reviewed_event, 1)])

    assert refused(f"DELETE FROM {TABLE} WHERE id = %s", [entry_id(reviewed_event, 1)])
