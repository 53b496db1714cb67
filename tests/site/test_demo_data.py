"""A newcomer's `make run` loads demo data; running it twice changes nothing."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from coordination.log import verify_event_log
from coordination.models import LogEntry
from events.models import Event


@pytest.fixture
def var_dir(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    return tmp_path


def load() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_data_gives_one_account_per_party_and_prints_them(var_dir, client):
    output = load()
    passwords = json.loads((var_dir / "demo-accounts.json").read_text())
    roles = dict(get_user_model().objects.values_list("username", "role"))
    assert roles == {"alice": "organiser", "bob": "police", "carol": "city", "dave": "reviewer"}
    for username, password in passwords.items():
        assert f"password: {password}" in output
        assert client.login(username=username, password=password)
    assert (var_dir / "demo-accounts.json").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_loading_demo_data_twice_changes_nothing(var_dir):
    first_output = load()
    before = (Event.objects.count(), LogEntry.objects.count(),
              list(get_user_model().objects.values_list("username", "password")))
    second_output = load()
    after = (Event.objects.count(), LogEntry.objects.count(),
             list(get_user_model().objects.values_list("username", "password")))
    assert before == after
    assert first_output == second_output
    assert Event.objects.filter(state="concluded").exists()
    for event in Event.objects.all():
        assert verify_event_log(event.pk).valid


@pytest.mark.django_db
def test_demo_officials_log_in_with_the_printed_code(var_dir, client, settings):
    """A newcomer without an authenticator app: password, then `make otp ACCOUNT=bob`."""
    settings.DEBUG = True
    output = load()
    passwords = json.loads((var_dir / "demo-accounts.json").read_text())
    assert output.count("two-factor key:") == 3  # bob, carol, dave; not alice
    code_output = StringIO()
    call_command("demo_totp_code", "bob", stdout=code_output)
    code = code_output.getvalue().split()[0]

    client.post("/accounts/login/", {"username": "bob", "password": passwords["bob"]})
    response = client.post("/accounts/two-factor/verify/", {"code": code, "next": "/desk/"})

    assert response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200


@pytest.mark.django_db
def test_the_demo_vigil_is_a_record_of_yesterday_and_the_river_march_is_on_the_day(var_dir):
    from django.utils import timezone

    from events.selectors import is_on_the_day

    load()
    now = timezone.now()
    vigil = Event.objects.get(title="Candlelight vigil")
    assert vigil.state == "concluded"
    assert vigil.ends_at < now  # concluded, so over: never "concluded" with future times
    assert vigil.assembly_point_name
    times = list(vigil.log_entries.order_by("seq").values_list("at", flat=True))
    assert times == sorted(times) and times[-1] <= now
    assert times[0] < vigil.starts_at  # registered before it took place
    assert verify_event_log(vigil.pk).valid

    river = Event.objects.get(title="March for Clean Rivers")
    assert river.state == "agreed" and is_on_the_day(river)
