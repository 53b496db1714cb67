"""Moments read in the city's local time with its zone, in one format per language
(coordination/moments.py, and its template filters)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from coordination.moments import (
    city_today,
    format_date,
    format_moment,
    format_span,
    valid_time_zone,
)

UTC = dt.UTC


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.fixture
def columbus(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Sat 12 Dec 2026, 14:00 EST"),
    ("fr", "sam. 12 déc. 2026, 14:00 EST"),
    ("es", "sáb, 12 dic 2026, 14:00 EST"),
])
def test_a_moment_reads_in_the_citys_time_with_its_zone_in_each_language(columbus, language,
                                                                         expected):
    with translation.override(language):
        assert format_moment(at(2026, 12, 12, 19, 0)) == expected


def test_without_a_city_time_zone_moments_read_in_utc(settings):
    settings.TIME_ZONE = "UTC"
    assert format_moment(at(2026, 12, 12, 19, 0)) == "Sat 12 Dec 2026, 19:00 UTC"


def test_a_moment_today_is_shown_without_its_date_and_the_seconds_when_asked(columbus):
    moment = at(2026, 12, 12, 19, 0, 5)
    assert format_moment(moment, today=dt.date(2026, 12, 12)) == "14:00 EST"
    assert format_moment(moment, today=dt.date(2026, 12, 13)) == "Sat 12 Dec 2026, 14:00 EST"
    assert format_moment(moment, seconds=True) == "Sat 12 Dec 2026, 14:00:05 EST"
    assert format_moment(None) == ""


def test_todays_date_is_the_citys_not_utcs(columbus):
    # 02:00 UTC on the 13th is still the evening of the 12th in Columbus.
    assert city_today(at(2026, 12, 13, 2, 0)) == dt.date(2026, 12, 12)


def test_the_zone_changes_from_edt_to_est_when_the_clocks_go_back(columbus):
    # 1 November 2026, 02:00 EDT → 01:00 EST: "01:30" happens twice; the zone tells which.
    assert format_moment(at(2026, 11, 1, 5, 30)) == "Sun 1 Nov 2026, 01:30 EDT"
    assert format_moment(at(2026, 11, 1, 6, 30)) == "Sun 1 Nov 2026, 01:30 EST"


def test_the_zone_changes_from_est_to_edt_when_the_clocks_go_forward(columbus):
    # 8 March 2026, 02:00 EST → 03:00 EDT.
    assert format_moment(at(2026, 3, 8, 6, 59)) == "Sun 8 Mar 2026, 01:59 EST"
    assert format_moment(at(2026, 3, 8, 7, 0)) == "Sun 8 Mar 2026, 03:00 EDT"


def test_an_events_span_shows_its_date_once_and_its_zone(columbus):
    start, end = at(2026, 12, 12, 19, 0), at(2026, 12, 12, 22, 0)
    assert format_span(start, end) == "Sat 12 Dec 2026, 14:00 – 17:00 EST"
    assert format_span(start, end, today=dt.date(2026, 12, 12)) == "14:00 – 17:00 EST"
    # Two weeks ahead, the desk shows the date (it once said "2 p.m. – 5 p.m." alone).
    assert format_span(start, end, today=dt.date(2026, 11, 28)) == (
        "Sat 12 Dec 2026, 14:00 – 17:00 EST")


def test_a_span_over_midnight_shows_both_dates(columbus):
    assert format_span(at(2026, 12, 13, 3, 0), at(2026, 12, 13, 6, 0)) == (
        "Sat 12 Dec 2026, 22:00 EST – Sun 13 Dec 2026, 01:00 EST")


def test_a_span_across_the_change_of_the_clocks_shows_both_zones(columbus):
    assert format_span(at(2026, 11, 1, 5, 0), at(2026, 11, 1, 8, 0)) == (
        "Sun 1 Nov 2026, 01:00 EDT – 03:00 EST")


def test_a_span_with_an_open_end(columbus):
    assert format_span(at(2026, 12, 12, 19, 0), None) == "Sat 12 Dec 2026, 14:00 EST – …"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Sat 12 Dec 2026, 14:00 – 17:00 EST"),
    ("fr", "sam. 12 déc. 2026, 14:00 – 17:00 EST"),
    ("es", "sáb, 12 dic 2026, 14:00 – 17:00 EST"),
])
def test_a_span_in_each_language(columbus, language, expected):
    with translation.override(language):
        assert format_span(at(2026, 12, 12, 19, 0), at(2026, 12, 12, 22, 0)) == expected


def test_a_day_alone(columbus):
    assert format_date(dt.date(2026, 12, 12)) == "Sat 12 Dec 2026"
    with translation.override("fr"):
        assert format_date(at(2026, 12, 13, 2, 0)) == "sam. 12 déc. 2026"  # the city's day


def test_templates_write_moments_through_the_helper(columbus):
    template = Template("{% load moments %}{{ start|moment }} | {{ start|moment:'seconds' }} | "
                        "{% moment_span start end %} | {{ start|moment_date }}")
    start, end = at(2026, 12, 12, 19, 0), at(2026, 12, 12, 22, 0)
    assert template.render(Context({"start": start, "end": end})) == " | ".join([
        format_moment(start), format_moment(start, seconds=True), format_span(start, end),
        format_date(start)])


def test_an_unknown_time_zone_name_is_refused_with_what_to_set():
    assert valid_time_zone("America/New_York") == "America/New_York"
    with pytest.raises(ValueError, match="PARLEY_TIME_ZONE='Mars/Olympus' is not a time zone"):
        valid_time_zone("Mars/Olympus")
    with pytest.raises(ValueError, match="IANA name"):
        valid_time_zone("")
