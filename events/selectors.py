"""Reading demonstrations: what each person may see, and what everyone may."""

import datetime as dt
import json
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.log import receipt_of
from coordination.log.kinds import LogKind
from coordination.models import LogEntry
from coordination.parties import Role
from events.models import Event, EventMembership

S = Event.State

#: How long a concluded or cancelled demonstration stays on the public page.
RECENT = dt.timedelta(days=7)
#: The states of an amended demonstration waiting for the city to agree it again.
AWAITING_AGREEMENT = (S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED)

#: Personal details that the log records as changed but never keeps: reviewers read the log,
#: may not see the contacts (docs/protocol.md), and log entries can never be erased.
WITHHELD_FROM_LOG = frozenset({"contact_name", "contact_phone", "contact_email"})
WITHHELD = "[withheld]"


def events_visible_to(user) -> QuerySet[Event]:
    """Organisers see their own events, police and city all, reviewers concluded ones."""
    events = Event.objects.select_related("organiser")
    if not user.is_authenticated or not user.is_active:
        return events.none()
    if user.role in (Role.POLICE, Role.CITY):
        return events
    if user.role == Role.REVIEWER:
        return events.filter(state=Event.State.CONCLUDED)
    return events.filter(memberships__user=user)


def _moved_to(to: str, since: dt.datetime, **data) -> Exists:
    """The log says the demonstration was moved to ``to`` at or after ``since`` (the state
    alone cannot say when)."""
    return Exists(LogEntry.objects.filter(
        event=OuterRef("pk"), kind=LogKind.EVENT_TRANSITION, data__to=to, at__gte=since, **data,
    ))


def public_events_queryset(*, now: dt.datetime | None = None) -> QuerySet[Event]:
    """The demonstrations on the public page at ``now`` (default: now), unordered.

    The one definition of what everyone may see: the public page and feeds list these, and
    the clash check tells organisers of no other demonstration than these and their own.
    """
    since = (now or timezone.now()) - RECENT
    concluded = _moved_to(S.CONCLUDED, since)
    cancelled = _moved_to(S.CANCELLED, since, data__from__in=[S.AGREED, S.LIVE])
    # Amended after it was agreed: it stays public while the city looks at the changes
    # (only an agreed demonstration can be amended, so it was public before).
    amended = Exists(LogEntry.objects.filter(event=OuterRef("pk"), kind=LogKind.EVENT_AMENDED))
    cancelled_while_amended = _moved_to(S.CANCELLED, since,
                                        data__from__in=list(AWAITING_AGREEMENT)) & amended
    return Event.objects.filter(public=True).filter(
        Q(state__in=(S.AGREED, S.LIVE))
        | (Q(state__in=AWAITING_AGREEMENT) & amended)
        | (Q(state=S.CONCLUDED) & concluded)
        | (Q(state=S.CANCELLED) & (cancelled | cancelled_while_amended))
    )


def get_event_for(user, pk) -> Event:
    """The event, if ``user`` may see it; otherwise 404, exactly as if it did not exist."""
    try:
        event = Event.objects.select_related("organiser").get(pk=int(pk))
    except (Event.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such demonstration.")) from None
    if not user.has_perm("events.view_event", event):
        raise Http404(_("No such demonstration."))
    return event


def filter_events(
    events: QuerySet[Event],
    *,
    state: list[str] | None = None,
    starts_after: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> QuerySet[Event]:
    """Narrow a list of events by state, start time and a longitude/latitude box."""
    if state:
        events = events.filter(state__in=state)
    if starts_after:
        events = events.filter(starts_at__gte=starts_after)
    if starts_before:
        events = events.filter(starts_at__lte=starts_before)
    if bbox:
        box = Polygon.from_bbox(bbox)
        box.srid = 4326
        events = events.filter(
            Q(assembly_point__intersects=box)
            | Q(route__intersects=box)
            | Q(dispersal_point__intersects=box)
        )
    return events.distinct().order_by("starts_at", "pk")


def members_of(event: Event) -> list[dict]:
    """The event's members as the API lists them."""
    return [
        {"username": m.user.username, "name": m.user.display_name, "role": m.role}
        for m in event.memberships.select_related("user").order_by("added_at", "pk")
    ]


def membership_for(event: Event, username: str) -> EventMembership:
    """``username``'s membership of ``event``, with its user; otherwise 404, the same for a
    username nobody has and for someone who is not a member."""
    membership = (EventMembership.objects.select_related("user")
                  .filter(event=event, user__username=username).first())
    if membership is None:
        raise Http404(_("No such member of this demonstration."))
    return membership


def organiser_count(event: Event) -> int:
    """How many organisers ``event`` has among its members."""
    return event.memberships.filter(role=Role.ORGANISER).count()


#: Log entries that open a new state of a demonstration: each one's receipt is handed out.
#: An amendment sends an agreed demonstration back to ``submitted``.
STATE_ENTRY_KINDS = (LogKind.EVENT_CREATED, LogKind.EVENT_TRANSITION, LogKind.EVENT_AMENDED)


def state_receipts(event: Event) -> list[dict]:
    """A receipt of the log at each state the demonstration entered, oldest first, as
    ``{"state", "state_label", "receipt"}``: its registration (``draft``) and every change
    of state. Each entry is the log's head as it was just after that change."""
    entries = (LogEntry.objects.filter(event=event, kind__in=STATE_ENTRY_KINDS)
               .order_by("seq").only("seq", "hash", "at", "kind", "data"))
    receipts = []
    for entry in entries:
        state = {LogKind.EVENT_CREATED: Event.State.DRAFT,
                 LogKind.EVENT_AMENDED: Event.State.SUBMITTED}.get(entry.kind,
                                                                   entry.data.get("to"))
        label = Event.State(state).label if state in Event.State.values else state
        receipts.append({"state": state, "state_label": label, "receipt": receipt_of(entry)})
    return receipts


def field_value(event: Event, name: str) -> Any:
    """The value of field ``name`` as an ``event.amended`` entry keeps it, JSON-friendly:
    times in ISO 8601 (UTC), places as GeoJSON objects, choices as their values, the
    demonstration answered by its id; contact details withheld (``WITHHELD_FROM_LOG``)."""
    value = getattr(event, name if name != "counter_to" else "counter_to_id")
    if isinstance(value, GEOSGeometry):
        return json.loads(value.geojson)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if name in WITHHELD_FROM_LOG and value:
        return WITHHELD
    return value


def changes_since_agreed(event: Event) -> list[dict]:
    """While an amended demonstration waits to be agreed again: each field changed since it
    was last agreed, oldest change first, as ``{"field", "agreed", "now"}`` (values as the
    log keeps them, ``field_value``). Empty for any other demonstration.

    The amendment's entry holds the agreed values of what it changed; a field changed later
    (after the city asked for changes, ``event.changed``) takes its agreed value from the log
    as it stood before the amendment.
    """
    if event.state not in AWAITING_AGREEMENT:
        return []
    entries = list(LogEntry.objects.filter(
        event=event,
        kind__in=(LogKind.EVENT_CREATED, LogKind.EVENT_CHANGED, LogKind.EVENT_AMENDED),
    ).order_by("seq").only("seq", "kind", "data"))
    amendments = [i for i, entry in enumerate(entries) if entry.kind == LogKind.EVENT_AMENDED]
    if not amendments:
        return []
    cut = amendments[-1]
    agreed: dict[str, Any] = {}
    for entry in entries[:cut]:
        if entry.kind == LogKind.EVENT_AMENDED:
            agreed.update({name: change.get("to") for name, change in entry.data.items()
                           if isinstance(change, dict)})
        else:
            agreed.update(entry.data)
    amendment = entries[cut].data
    agreed.update({name: change.get("from") for name, change in amendment.items()
                   if isinstance(change, dict)})
    fields = list(amendment)
    for entry in entries[cut + 1:]:
        fields += [name for name in entry.data if name not in fields]
    return [{"field": name, "agreed": agreed.get(name), "now": field_value(event, name)}
            for name in fields if hasattr(event, name)]
