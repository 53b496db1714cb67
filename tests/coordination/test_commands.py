"""The shell side: a city administrator creates accounts and checks the logs from a script."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coordination.models import LogEntry
from events import services
from tests.support.accounts import totp_code
from tests.support.factories import event_fields
from tests.support.logs import triggers_disabled

User = get_user_model()


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- create_party_user -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["organiser", "police", "city", "reviewer"])
def test_administrator_creates_a_user_of_each_party(role, db, api):
    output = run("create_party_user", "erin", "--role", role, "--password", "pw-for-erin",
                 "--email", "erin@example.org", "--name", "Erin Beat")

    erin = User.objects.get(username="erin")
    assert erin.role == role
    assert erin.email == "erin@example.org"
    assert erin.display_name == "Erin Beat"
    assert erin.check_password("pw-for-erin")
    assert not erin.is_staff and not erin.is_superuser
    assert "erin" in output
    credentials = {"username": "erin", "password": "pw-for-erin"}
    if role != "organiser":  # police, city and reviewers also give a two-factor code
        credentials["otp"] = totp_code(erin)
    token = api().post("/api/v1/auth/token/", credentials)
    assert token.status_code == 200


def test_given_password_means_no_prompt(db, monkeypatch):
    def no_prompt(*args, **kwargs):
        raise AssertionError("prompted for a password")

    monkeypatch.setattr("getpass.getpass", no_prompt)

    run("create_party_user", "erin", "--role", "police", "--password", "x")

    assert User.objects.filter(username="erin").exists()


def test_without_password_it_asks_twice(db, monkeypatch):
    answers = iter(["a long enough passphrase 42", "a long enough passphrase 42"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    run("create_party_user", "erin", "--role", "city")

    assert User.objects.get(username="erin").check_password("a long enough passphrase 42")


def test_mismatched_typed_passwords_are_refused(db, monkeypatch):
    answers = iter(["a long enough passphrase 42", "something else entirely 43"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="match"):
        run("create_party_user", "erin", "--role", "city")

    assert not User.objects.filter(username="erin").exists()


def test_existing_username_is_refused_and_left_alone(alice):
    with pytest.raises(CommandError, match="already exists"):
        run("create_party_user", "alice", "--role", "police", "--password", "x")

    alice.refresh_from_db()
    assert alice.role == "organiser"
    assert User.objects.filter(username="alice").count() == 1


def test_unknown_role_is_refused(db):
    with pytest.raises(CommandError):
        run("create_party_user", "erin", "--role", "mayor", "--password", "x")

    assert not User.objects.filter(username="erin").exists()


def test_role_is_required(db):
    with pytest.raises(CommandError):
        run("create_party_user", "erin", "--password", "x")


def test_city_administrator_may_use_the_admin(db):
    run("create_party_user", "frank", "--role", "city", "--password", "x", "--admin")

    frank = User.objects.get(username="frank")
    assert frank.is_staff and frank.is_superuser


def test_only_city_officials_become_administrators(db):
    with pytest.raises(CommandError):
        run("create_party_user", "erin", "--role", "police", "--password", "x", "--admin")

    assert not User.objects.filter(username="erin").exists()


# --- verify_log --------------------------------------------------------------------------


@pytest.fixture
def two_events(alice, mallory):
    first = services.register_event(organiser=alice, **event_fields())
    services.transition_event(first, to="submitted", actor=alice)
    second = services.register_event(organiser=mallory, **event_fields(title="Other"))
    return first, second


def tamper(event, seq):
    entry = LogEntry.objects.get(event=event, seq=seq)
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LogEntry._meta.db_table} SET data = %s WHERE id = %s",
            ['{"forged": true}', entry.pk],
        )


def test_verify_log_reports_every_event_ok(two_events):
    first, second = two_events

    output = run("verify_log")

    assert f"{first.reference}: ok (2 entries)" in output
    assert f"{second.reference}: ok (1 entries)" in output


def test_verify_log_checks_only_the_named_events(two_events):
    first, second = two_events
    tamper(second, 1)

    output = run("verify_log", first.reference)

    assert first.reference in output
    assert second.reference not in output


def test_verify_log_exits_1_when_a_log_was_tampered_with(two_events):
    first, second = two_events
    tamper(first, 2)

    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("verify_log", stdout=out)

    assert info.value.returncode == 1
    assert f"{first.reference}: BROKEN at seq 2" in out.getvalue()
    assert f"{second.reference}: ok" in out.getvalue()


def test_verify_log_from_the_command_line_exits_with_status_1(two_events):
    from django.core.management import ManagementUtility

    tamper(two_events[0], 1)
    utility = ManagementUtility(["manage.py", "verify_log"])

    with pytest.raises(SystemExit) as info:
        utility.execute()

    assert info.value.code == 1


def test_verify_log_refuses_unknown_references(two_events):
    with pytest.raises(CommandError, match="PAR-1999-0001"):
        run("verify_log", "PAR-1999-0001")


def test_verify_log_with_no_events_is_fine(db):
    assert run("verify_log") == ""
