"""Moments as people read them: the one place that writes a date and time for a page, an
e-mail, a PDF or a feed.

Every moment is shown in the city's local time (``PARLEY_TIME_ZONE``, Django's
``TIME_ZONE``) with its zone's abbreviation, so that "14:00" never leaves a reader guessing
which 14:00 it is, and in one format per language, e.g. "Sat 12 Dec 2026, 14:00 EST",
"sam. 12 déc. 2026, 14:00 EST", "sáb, 12 dic 2026, 14:00 EST". The formats and the
abbreviated day and month names are translations (context "moment"), so a new language
needs only its ``.po`` file; ``static/js/time.js`` uses the same ones in the page scripts.

Machine-readable times (``<time datetime>``, the API, the feeds' own fields) stay ISO 8601
and are not written here.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.translation import pgettext

__all__ = ["city_today", "format_date", "format_moment", "format_span", "valid_time_zone"]


def _weekday(value: dt.date) -> str:
    names = (
        pgettext("moment", "Mon"), pgettext("moment", "Tue"), pgettext("moment", "Wed"),
        pgettext("moment", "Thu"), pgettext("moment", "Fri"), pgettext("moment", "Sat"),
        pgettext("moment", "Sun"),
    )
    return names[value.weekday()]


def _month(value: dt.date) -> str:
    names = (
        pgettext("moment", "Jan"), pgettext("moment", "Feb"), pgettext("moment", "Mar"),
        pgettext("moment", "Apr"), pgettext("moment", "May"), pgettext("moment", "Jun"),
        pgettext("moment", "Jul"), pgettext("moment", "Aug"), pgettext("moment", "Sep"),
        pgettext("moment", "Oct"), pgettext("moment", "Nov"), pgettext("moment", "Dec"),
    )
    return names[value.month - 1]


def _local(value: dt.datetime) -> dt.datetime:
    # A naive value is taken as already local (forms' cleaned data are aware anyway).
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _clock(value: dt.datetime, *, seconds: bool = False) -> str:
    return value.strftime("%H:%M:%S" if seconds else "%H:%M")


def _zone(value: dt.datetime) -> str:
    return value.tzname() or ""


def city_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in the city's time zone (``now`` for tests and fixed clocks)."""
    return timezone.localdate(now or timezone.now())


def format_date(value: dt.date | dt.datetime | None) -> str:
    """A day, e.g. "Sat 12 Dec 2026" (a moment's day in the city's time zone); "" for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    return pgettext("moment", "%(weekday)s %(day)s %(month)s %(year)s") % {
        "weekday": _weekday(value), "day": str(value.day), "month": _month(value),
        "year": str(value.year)}


def format_moment(value: dt.datetime | None, *, today: dt.date | None = None,
                  seconds: bool = False) -> str:
    """A moment in the city's local time with its zone, e.g. "Sat 12 Dec 2026, 14:00 EST".

    ``today``: the city's date today (``city_today()``); a moment on that day is shown
    without its date ("14:00 EST"). ``seconds``: with the seconds (a log, a replay). ""
    for None."""
    if value is None:
        return ""
    local = _local(value)
    time_text = _clock(local, seconds=seconds)
    if today is not None and local.date() == today:
        return pgettext("moment", "%(time)s %(zone)s") % {"time": time_text,
                                                          "zone": _zone(local)}
    return pgettext("moment", "%(date)s, %(time)s %(zone)s") % {
        "date": format_date(local), "time": time_text, "zone": _zone(local)}


def format_span(start: dt.datetime | None, end: dt.datetime | None, *,
                today: dt.date | None = None) -> str:
    """From ``start`` to ``end`` (an event's times, a zone's validity), e.g. "Sat 12 Dec
    2026, 14:00 – 17:00 EST"; "14:00 – 17:00 EST" when it is ``today``; both dates when the
    ends fall on different days, and both zones when they differ (a night the clocks
    change). An open end is "…"."""
    if start is None or end is None:
        return pgettext("moment", "%(start)s – %(end)s") % {
            "start": format_moment(start, today=today) or "…",
            "end": format_moment(end, today=today) or "…"}
    first, last = _local(start), _local(end)
    if first.date() != last.date():
        return pgettext("moment", "%(start)s – %(end)s") % {
            "start": format_moment(first, today=today), "end": format_moment(last, today=today)}
    same_day = today is not None and first.date() == today
    if _zone(first) != _zone(last):
        times = pgettext("moment", "%(start)s %(start_zone)s – %(end)s %(end_zone)s") % {
            "start": _clock(first), "start_zone": _zone(first),
            "end": _clock(last), "end_zone": _zone(last)}
    else:
        times = pgettext("moment", "%(start)s – %(end)s %(zone)s") % {
            "start": _clock(first), "end": _clock(last), "zone": _zone(last)}
    if same_day:
        return times
    return pgettext("moment", "%(date)s, %(times)s") % {"date": format_date(first),
                                                        "times": times}


def valid_time_zone(name: str, *, setting: str = "PARLEY_TIME_ZONE") -> str:
    """``name`` if it is an IANA time zone this machine knows; otherwise ValueError with a
    message saying what to set (checked when the settings load, so a typo stops the start)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(
            f"{setting}={name!r} is not a time zone name this machine knows. Use an IANA "
            f"name such as America/New_York, Europe/Paris or UTC."
        ) from error
    return name
