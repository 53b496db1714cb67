"""The after-action log: one entry per change, in the same transaction, hash-chained exactly as
docs/log.md says, readable by city and reviewers, and loud when someone edits it behind the
application's back."""

import hashlib
import json

import pytest
from django.db import IntegrityError, transaction

from coordination import log
from coordination.models import LogEntry
from events import services
from events.models import Event
from tests.support.factories import event_fields, make_user
from tests.support.logs import tamper


def log_url(event, suffix=""):
    return f"/api/v1/events/{event.pk}/log/{suffix}"


def verify(client, event):
    response = client.get(f"/api/v1/events/{event.pk}/log/verify")
    assert response.status_code == 200, response.content
    return response.json()


def contract_hash(previous_hash: str, entry: dict) -> str:
    """The published recipe (docs/log.md), written out again independently of coordination.log."""
    canonical = json.dumps(
        {key: entry[key] for key in ("seq", "at", "actor", "kind", "data")},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256((previous_hash + "\n" + canonical).encode("utf-8")).hexdigest()


@pytest.fixture
def busy_event(alices_event, alice, carol):
    """Alice's event after a full review, with a non-ASCII change of title on the way."""
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="changes_requested", actor=carol,
                              note="Précisez l'itinéraire — merci ✊")
    services.update_event(alices_event, actor=alice, title="Sauvons la bibliothèque ✊",
                          stewards=25)
    services.transition_event(alices_event, to="submitted", actor=alice)
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="agreed", actor=carol)
    alices_event.refresh_from_db()
    return alices_event


def test_every_write_appends_one_entry_in_order(busy_event):
    entries = list(LogEntry.objects.filter(event=busy_event).order_by("seq"))

    assert [e.seq for e in entries] == list(range(1, 11))
    assert [e.kind for e in entries] == [
        "event.created", "event.transition", "event.member_added", "event.member_added",
        "event.transition", "event.transition", "event.changed", "event.transition",
        "event.transition", "event.transition",
    ]
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_log_api_shows_entries_in_order_with_contract_fields(busy_event, carol, alice, api):
    response = api(carol).get(log_url(busy_event))

    assert response.status_code == 200
    entries = response.json()
    assert [e["seq"] for e in entries] == list(range(1, 11))
    for entry in entries:
        assert set(entry) == {"seq", "at", "actor", "kind", "data", "hash"}
        assert entry["at"].endswith("Z")
        assert len(entry["hash"]) == 64
    assert entries[0]["actor"] == {"id": alice.pk, "name": "Alice Martin", "role": "organiser"}
    assert entries[6]["data"] == {"title": "Sauvons la bibliothèque ✊", "stewards": 25}


def test_hash_chain_is_exactly_the_contracts(busy_event, carol, api):
    entries = api(carol).get(log_url(busy_event)).json()

    previous = "0" * 64
    for entry in entries:
        assert entry["hash"] == contract_hash(previous, entry), entry["seq"]
        previous = entry["hash"]


def test_hash_covers_non_ascii_text_unescaped(busy_event, carol, api):
    entry = api(carol).get(log_url(busy_event)).json()[6]
    previous = api(carol).get(log_url(busy_event)).json()[5]["hash"]
    escaped = json.dumps({k: entry[k] for k in ("seq", "at", "actor", "kind", "data")},
                         sort_keys=True, separators=(",", ":"))
    wrong = hashlib.sha256((previous + "\n" + escaped).encode()).hexdigest()

    assert "✊" in entry["data"]["title"]
    assert entry["hash"] != wrong
    assert entry["hash"] == contract_hash(previous, entry)


def test_log_pages_from_after_seq(busy_event, carol, api):
    client = api(carol)

    after = client.get(log_url(busy_event), {"after_seq": 7}).json()
    limited = client.get(log_url(busy_event), {"after_seq": 2, "limit": 3}).json()

    assert [e["seq"] for e in after] == [8, 9, 10]
    assert [e["seq"] for e in limited] == [3, 4, 5]


@pytest.mark.parametrize("params", [{"after_seq": "x"}, {"after_seq": -1}, {"limit": 0},
                                    {"limit": 100000}, {"limit": "ten"}])
def test_log_refuses_malformed_paging_by_name(params, busy_event, carol, api):
    response = api(carol).get(log_url(busy_event), params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_reviewer_reads_the_log_of_a_concluded_event(busy_event, carol, dave, api):
    assert api(dave).get(log_url(busy_event)).status_code == 404
    services.transition_event(busy_event, to="live", actor=carol)
    services.transition_event(busy_event, to="concluded", actor=carol)

    response = api(dave).get(log_url(busy_event))

    assert response.status_code == 200
    assert len(response.json()) == 12
    assert verify(api(dave), busy_event) == {"valid": True, "entries": 12, "first_bad_seq": None}


def test_police_may_not_read_the_log(alices_event, bob, api):
    response = api(bob).get(log_url(alices_event))

    assert response.status_code == 403
    assert "detail" in response.json()
    assert api(bob).get(log_url(alices_event, "verify")).status_code == 403


def test_the_events_own_organiser_may_not_read_the_log(alices_event, alice, api):
    response = api(alice).get(log_url(alices_event))

    assert response.status_code == 403
    assert api(alice).get(log_url(alices_event, "verify")).status_code == 403


def test_other_organiser_gets_404_for_the_log(alices_event, mallory, api):
    assert api(mallory).get(log_url(alices_event)).status_code == 404
    assert api(mallory).get(log_url(alices_event, "verify")).status_code == 404


def test_log_of_nonexistent_event_is_404(carol, api):
    assert api(carol).get("/api/v1/events/999999/log/").status_code == 404


def test_untouched_log_verifies(busy_event, carol, api):
    assert verify(api(carol), busy_event) == {"valid": True, "entries": 10,
                                              "first_bad_seq": None}
    # With or without the trailing slash.
    assert api(carol).get(log_url(busy_event, "verify/")).json()["valid"] is True


def _raw(sql, params):
    """Tamper with the log as someone with database access could: triggers disabled."""
    tamper(sql, params)


def _entry_id(event, seq):
    return LogEntry.objects.get(event=event, seq=seq).pk


TABLE = LogEntry._meta.db_table


def test_edited_data_is_detected_at_that_entry(busy_event, carol, api):
    _raw(f"UPDATE {TABLE} SET data = %s WHERE id = %s",
         ['{"username": "mallory", "role": "police"}', _entry_id(busy_event, 3)])

    assert verify(api(carol), busy_event) == {"valid": False, "entries": 10,
                                              "first_bad_seq": 3}


def test_edited_time_is_detected_at_that_entry(busy_event, carol, api):
    entry = LogEntry.objects.get(event=busy_event, seq=3)
    _raw(f"UPDATE {TABLE} SET at = %s WHERE id = %s",
         [entry.at.replace(microsecond=(entry.at.microsecond + 1) % 1000000), entry.pk])

    assert verify(api(carol), busy_event)["first_bad_seq"] == 3


def test_edited_actor_is_detected_at_that_entry(busy_event, carol, api):
    _raw(f"UPDATE {TABLE} SET actor = %s WHERE id = %s",
         ['{"id": 1, "name": "Somebody Else", "role": "city"}', _entry_id(busy_event, 3)])

    assert verify(api(carol), busy_event)["first_bad_seq"] == 3


def test_rehashed_entry_still_breaks_the_next_link(busy_event, carol, api):
    # A careful forger recomputes entry 3's own hash; entry 4 no longer chains to it.
    entry = LogEntry.objects.get(event=busy_event, seq=3)
    entry.data = {"username": "mallory", "role": "police"}
    previous = LogEntry.objects.get(event=busy_event, seq=2).hash
    forged = log.entry_hash(entry, previous)
    _raw(f"UPDATE {TABLE} SET data = %s, hash = %s WHERE id = %s",
         [json.dumps(entry.data), forged, entry.pk])

    assert verify(api(carol), busy_event)["first_bad_seq"] == 4


def test_deleted_entry_is_detected_where_it_was(busy_event, carol, api):
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [_entry_id(busy_event, 3)])

    assert verify(api(carol), busy_event) == {"valid": False, "entries": 9,
                                              "first_bad_seq": 3}


def test_deleted_last_entry_is_not_detectable_from_the_chain_alone(busy_event, carol, api):
    # Documented limit: truncation at the end leaves a valid, shorter chain. An export's
    # entry count (or the last hash kept elsewhere) is what reveals it.
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [_entry_id(busy_event, 10)])

    assert verify(api(carol), busy_event) == {"valid": True, "entries": 9,
                                              "first_bad_seq": None}


def test_tampering_with_one_event_leaves_others_valid(busy_event, alice, carol, api):
    other = services.register_event(organiser=alice, **event_fields(title="Other"))
    _raw(f"UPDATE {TABLE} SET kind = %s WHERE id = %s",
         ["event.nothing", _entry_id(busy_event, 3)])

    assert verify(api(carol), other) == {"valid": True, "entries": 1, "first_bad_seq": None}
    assert verify(api(carol), busy_event)["valid"] is False


def test_a_failed_transition_leaves_neither_change_nor_entry(alices_event, carol, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("broadcast failed after the write")

    monkeypatch.setattr(services, "broadcast_on_commit", explode)
    before = list(alices_event.log_entries.values_list("seq", flat=True))

    with pytest.raises(RuntimeError):
        services.transition_event(alices_event, to="under_review", actor=carol)

    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"
    assert list(alices_event.log_entries.values_list("seq", flat=True)) == before


def test_a_failed_edit_leaves_neither_change_nor_entry(alice, monkeypatch):
    event = services.register_event(organiser=alice, **event_fields())
    real_record = services.record

    def record_then_fail(*args, **kwargs):
        real_record(*args, **kwargs)
        raise RuntimeError("something failed after the entry was written")

    monkeypatch.setattr(services, "record", record_then_fail)

    with pytest.raises(RuntimeError):
        services.update_event(event, actor=alice, title="Never saved")

    event.refresh_from_db()
    assert event.title == "Save the library"
    assert list(event.log_entries.values_list("seq", flat=True)) == [1]


def test_a_failed_registration_leaves_no_event_and_no_entry(alice, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(services, "record", fail)

    with pytest.raises(RuntimeError):
        services.register_event(organiser=alice, **event_fields())

    assert not Event.objects.exists()
    assert not LogEntry.objects.exists()


def test_an_integrity_error_after_the_entry_rolls_everything_back(alices_event, carol,
                                                                   monkeypatch):
    real_record = services.record

    def record_and_clash(event, **kwargs):
        entry = real_record(event, **kwargs)
        # A second entry with the same number: the database refuses it.
        LogEntry.objects.create(event_id=event.pk, seq=entry.seq, at=entry.at, kind="clash",
                                data={}, hash="f" * 64)
        return entry

    monkeypatch.setattr(services, "record", record_and_clash)
    before = list(alices_event.log_entries.values_list("seq", "hash"))

    with pytest.raises(IntegrityError):
        services.transition_event(alices_event, to="under_review", actor=carol)

    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"
    assert list(alices_event.log_entries.values_list("seq", "hash")) == before


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(alice):
    event = services.register_event(organiser=alice, **event_fields())

    with pytest.raises(RuntimeError, match="atomic"):
        log.record(event, actor=alice, kind="test")

    assert event.log_entries.count() == 1


def test_system_entries_have_a_null_actor(alices_event, carol, api):
    with transaction.atomic():
        log.record(alices_event, actor=None, kind="system.note", data={"n": 1})

    entry = api(carol).get(log_url(alices_event)).json()[-1]

    assert entry["actor"] is None
    assert entry["data"] == {"n": 1}
    assert verify(api(carol), alices_event)["valid"] is True


def test_log_actor_keeps_the_name_at_the_time(alices_event, alice, carol, api):
    alice.first_name = "Alicia"
    alice.save()

    entry = api(carol).get(log_url(alices_event)).json()[0]

    assert entry["actor"]["name"] == "Alice Martin"
    assert verify(api(carol), alices_event)["valid"] is True


def test_reviewer_who_is_not_city_cannot_read_open_event_logs(alices_event, dave, api):
    make_user("erin", "reviewer")

    assert api(dave).get(log_url(alices_event)).status_code == 404


def test_reviewer_reading_the_log_never_sees_the_contacts(alices_event, alice, carol, dave,
                                                          api):
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="changes_requested", actor=carol, note="Phone?")
    services.update_event(alices_event, actor=alice, contact_phone="+1 614 555 0199")
    services.transition_event(alices_event, to="withdrawn", actor=alice,
                             note="Plans changed.")
    alices_event.state = "concluded"  # only so that the reviewer may read it
    alices_event.save(update_fields=["state"])

    entries = api(dave).get(log_url(alices_event)).json()

    text = json.dumps(entries, ensure_ascii=False)
    for secret in ("614 555", "alice@example.org"):
        assert secret not in text
    created, changed = entries[0]["data"], entries[6]["data"]
    assert created["contact_phone"] == "[withheld]"
    assert changed == {"contact_phone": "[withheld]"}
    assert verify(api(dave), alices_event)["valid"] is True
