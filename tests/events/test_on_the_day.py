"""When a demonstration's page becomes the operations screen: live, or agreed and starting
within PARLEY_LIVE_WINDOW_HOURS (default 24 h)."""

import datetime as dt

import pytest
from django.utils import timezone

from events import services
from events.selectors import is_on_the_day
from tests.support.accounts import log_in

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def test_an_agreed_demonstration_is_on_the_day_from_a_day_before_it_starts(agreed_event):
    starts = agreed_event.starts_at
    assert not is_on_the_day(agreed_event, starts - 25 * HOUR)
    assert is_on_the_day(agreed_event, starts - 23 * HOUR)
    assert is_on_the_day(agreed_event, starts + HOUR)  # started, not yet marked live
    assert not is_on_the_day(agreed_event, agreed_event.ends_at)


def test_the_window_follows_the_setting(agreed_event, settings):
    settings.PARLEY_LIVE_WINDOW_HOURS = 2
    starts = agreed_event.starts_at
    assert not is_on_the_day(agreed_event, starts - 3 * HOUR)
    assert is_on_the_day(agreed_event, starts - HOUR)


def test_a_live_demonstration_is_on_the_day_and_a_submitted_one_is_not(
        alices_event, agreed_event, carol):
    later = timezone.now() + dt.timedelta(days=30)
    live = services.transition_event(agreed_event, to="live", actor=carol)
    assert is_on_the_day(live, later)
    alices_event.state = "submitted"
    assert not is_on_the_day(alices_event, alices_event.starts_at)


def test_the_page_of_a_demonstration_on_the_day_is_the_operations_screen(
        client, agreed_event, bob):
    log_in(client, bob)
    page = client.get(agreed_event.get_absolute_url()).content.decode()
    assert 'id="operations-tabs"' in page
    assert 'aria-controls="event-pane-map"' in page
    assert "events/operations.js" in page


def test_the_page_before_the_day_is_the_usual_page(client, agreed_event, bob, settings):
    settings.PARLEY_LIVE_WINDOW_HOURS = 1
    log_in(client, bob)
    page = client.get(agreed_event.get_absolute_url()).content.decode()
    assert 'id="operations-tabs"' not in page and "events/operations.js" not in page
    assert 'id="channel-panel"' in page and 'id="zone-map"' in page
