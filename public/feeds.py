"""The public feeds: iCalendar of public demonstrations, Atom of public notices.

Both read only ``public.selectors`` (what may be published) and are served like the page
(``public_views.public_response``: language, caching headers, ETag and 304).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from coordination.moments import format_moment, format_span
from events.models import Event
from public import selectors as public
from public.views import public_response

#: iCalendar STATUS of each public state (RFC 5545, 3.8.1.11).
#: An amended demonstration under review again is tentative until agreed.
CALENDAR_STATUS = {Event.State.CANCELLED: "CANCELLED", Event.State.SUBMITTED: "TENTATIVE",
                   Event.State.UNDER_REVIEW: "TENTATIVE",
                   Event.State.CHANGES_REQUESTED: "TENTATIVE"}


def calendar_of(events: list[public.PublicEvent], *, page_url: str) -> Calendar:
    """One VEVENT per public demonstration (``UID`` = its reference), with its times, its
    assembly point as ``LOCATION`` (words and coordinates) and ``GEO``, and a link to its
    section of the public page. Cancelled ones stay listed with ``STATUS:CANCELLED`` so that
    calendars that imported them hear it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Parley//Public demonstrations//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Demonstrations (public information)"))
    for event in events:
        point = event.assembly_point
        entry = CalendarEvent()
        entry.add("uid", event.reference)
        entry.add("dtstamp", event.updated_at)
        entry.add("last-modified", event.updated_at)
        entry.add("dtstart", event.starts_at)
        entry.add("dtend", event.ends_at)
        entry.add("summary", event.title)
        if event.assembly_point_name:
            entry.add("location", _("Assembly point: %(place)s")
                      % {"place": event.assembly_point_name})
        else:
            entry.add("location", _("Assembly point: %(lat).5f, %(lon).5f")
                      % {"lat": point.y, "lon": point.x})
        entry.add("geo", (point.y, point.x))
        entry.add("url", f"{page_url}#{event.anchor}")
        entry.add("status", CALENDAR_STATUS.get(event.state, "CONFIRMED"))
        entry.add("categories", [event.kind_label])
        # DTSTART/DTEND stay in UTC ("Z"), which every calendar converts; the words say the
        # city's local time, as the page does.
        lines = [f"{event.kind_label} · {event.state_label} · {event.reference}",
                 format_span(event.starts_at, event.ends_at)]
        if event.description:
            lines.append(event.description)
        entry.add("description", "\n\n".join(lines))
        calendar.add_component(entry)
    return calendar


@public_response
def public_calendar(request: HttpRequest) -> HttpResponse:
    """``/public/events.ics``: every public demonstration, for calendar applications."""
    page_url = request.build_absolute_uri(reverse("public:page"))
    calendar = calendar_of(public.public_events(), page_url=page_url)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="parley-demonstrations.ics"'
    return response


def tag_uri(specific: str) -> str:
    """A permanent id (RFC 4151 ``tag:`` URI) minted under ``PARLEY_TAG_AUTHORITY``, e.g.
    ``tag:parley.example.org,2026:notice-274``: absolute, as RFC 4287 requires of atom:id,
    and the same whatever host or language the feed was read in."""
    return f"tag:{settings.PARLEY_TAG_AUTHORITY}:{specific}"


class NoticesFeed(Feed):
    """``/public/feed.atom``: the latest public notices, newest first."""

    feed_type = Atom1Feed

    def title(self) -> str:
        return _("Parley: public notices about demonstrations")

    def subtitle(self) -> str:
        return _("Agreed demonstrations, their zones, and changes as they happen.")

    def link(self) -> str:
        return reverse("public:page")

    def feed_url(self) -> str:
        return reverse("public:atom")

    def feed_guid(self) -> str:
        return tag_uri("public-notices")

    def author_name(self) -> str:
        return settings.PARLEY_FEED_AUTHOR

    def items(self) -> list[public.Notice]:
        return public.latest_notices(public.public_events())

    def item_title(self, item: public.Notice) -> str:
        return item.headline

    def item_description(self, item: public.Notice) -> str:
        # <updated> says when in RFC 3339; the words say it in the city's local time.
        return _("%(moment)s: %(notice)s") % {"moment": format_moment(item.at),
                                              "notice": item.description}

    def item_link(self, item: public.Notice) -> str:
        return f"{reverse('public:page')}#{item.reference}"

    def item_guid(self, item: public.Notice) -> str:
        # Stable whatever the language and host: one notice, one id.
        return tag_uri(f"notice-{item.id}")

    def item_author_name(self, item: public.Notice) -> str:
        # Each entry names its author too, so it stays valid when copied out of the feed.
        return settings.PARLEY_FEED_AUTHOR

    def item_guid_is_permalink(self, item: public.Notice) -> bool:
        return False

    def item_pubdate(self, item: public.Notice):
        return item.at

    def item_updateddate(self, item: public.Notice):
        return item.at


public_atom = public_response(NoticesFeed())
