"""Every demonstration gets a reference PAR-YYYY-NNNN, unique within its year, even when many
organisers register at the same moment."""

import re
import threading

import pytest
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from events import services
from events.models import Event, ReferenceCounter
from tests.support.factories import event_fields, make_user


def test_references_count_up_within_the_year(alice, mallory):
    year = timezone.now().year

    first = services.register_event(organiser=alice, **event_fields())
    second = services.register_event(organiser=mallory, **event_fields())
    third = services.register_event(organiser=alice, **event_fields())

    assert [first.reference, second.reference, third.reference] == [
        f"PAR-{year}-0001", f"PAR-{year}-0002", f"PAR-{year}-0003"]
    assert ReferenceCounter.objects.get(year=year).last_number == 3


def test_each_year_starts_again_from_one(alice):
    ReferenceCounter.objects.create(year=2000, last_number=41)

    assert services.allocate_reference(year=2000) == "PAR-2000-0042"
    assert services.allocate_reference(year=2001) == "PAR-2001-0001"


def test_numbers_grow_past_four_digits(alice):
    ReferenceCounter.objects.create(year=2000, last_number=9999)

    assert services.allocate_reference(year=2000) == "PAR-2000-10000"


@override_settings(PARLEY_REFERENCE_PREFIX="CMH")
def test_the_prefix_is_the_citys_setting(alice):
    event = services.register_event(organiser=alice, **event_fields())

    assert re.fullmatch(r"CMH-\d{4}-0001", event.reference)


def test_a_refused_registration_uses_no_number(alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.register_event(organiser=alice, **event_fields(expected_attendance=0))
    event = services.register_event(organiser=alice, **event_fields())

    assert event.reference.endswith("-0001")


def test_reference_cannot_be_changed_by_an_edit(alice):
    from django.core.exceptions import ValidationError

    event = services.register_event(organiser=alice, **event_fields())

    with pytest.raises(ValidationError):
        services.update_event(event, actor=alice, reference="PAR-1999-0001")


THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_get_distinct_consecutive_references():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them anyway")
    organisers = [make_user(f"organiser{i}", "organiser") for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    references, errors = [], []

    def register(organiser):
        try:
            start.wait(timeout=10)
            event = services.register_event(organiser=organiser, **event_fields())
            references.append(event.reference)
        except Exception as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=register, args=(o,)) for o in organisers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    year = timezone.now().year
    assert sorted(references) == [f"PAR-{year}-{n:04d}" for n in range(1, THREADS + 1)]
    assert Event.objects.count() == THREADS
    assert ReferenceCounter.objects.get(year=year).last_number == THREADS
    # Every event's log starts at 1 and verifies.
    from coordination.log import verify_event_log

    for event in Event.objects.all():
        assert verify_event_log(event.pk).as_dict() == {
            "valid": True, "entries": 1, "first_bad_seq": None}
