"""Template filters and tags that show moments through ``coordination.moments`` — the only
way templates write a date or time for people (``<time datetime>`` stays ``|date:'c'``).

    {% load moments %}
    {{ event.starts_at|moment }}            Sat 12 Dec 2026, 14:00 EST
    {{ entry.at|moment:"seconds" }}         Sat 12 Dec 2026, 14:00:05 EST
    {{ message.sent_at|moment_short }}      14:00 EST today, else with its date
    {{ records.kept_until|moment_date }}    Sat 12 Dec 2026
    {% moment_span event.starts_at event.ends_at %}             Sat 12 Dec 2026, 14:00 – 17:00 EST
    {% moment_span event.starts_at event.ends_at today=True %}  14:00 – 17:00 EST today
"""

from __future__ import annotations

import datetime as dt

from django import template

from coordination.moments import city_today, format_date, format_moment, format_span

register = template.Library()


@register.filter
def moment(value: dt.datetime | None, option: str = "") -> str:
    """The moment with its date, in the city's time zone; ``"seconds"`` adds the seconds."""
    return format_moment(value, seconds=option == "seconds")


@register.filter
def moment_short(value: dt.datetime | None) -> str:
    """The moment without its date when it is today in the city (a message, a reply)."""
    return format_moment(value, today=city_today())


@register.filter
def moment_date(value: dt.date | dt.datetime | None) -> str:
    """The day alone."""
    return format_date(value)


@register.simple_tag
def moment_span(start: dt.datetime | None, end: dt.datetime | None, *,
                today: bool | dt.date | None = None) -> str:
    """From ``start`` to ``end``; ``today=True`` leaves out the date of a span that is today
    in the city (or pass the city's date)."""
    if today is True:
        today = city_today()
    return format_span(start, end, today=today or None)
