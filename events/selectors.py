"""Reading demonstrations: what each person may see, and what everyone may."""

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.log import receipt_of
from coordination.log.kinds import LogKind
from coordination.models import LogEntry
from coordination.parties import Role
from events.models import Event, EventMembership
from events.rules import roles_addable_by
from events.workflow import NOTE_REQUIRED

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


def is_on_the_day(event: Event, now: dt.datetime | None = None) -> bool:
    """Whether ``event`` is live, or agreed and starting within ``PARLEY_LIVE_WINDOW_HOURS``
    of ``now`` (default: now): the time its page becomes the operations screen.

    An agreed demonstration whose start has passed but which nobody marked live yet counts
    too, until it ends: that is when the channel matters most.
    """
    if event.state == S.LIVE:
        return True
    if event.state != S.AGREED:
        return False
    now = now or timezone.now()
    window = dt.timedelta(hours=settings.PARLEY_LIVE_WINDOW_HOURS)
    return event.starts_at - window <= now < event.ends_at


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


#: The most people suggested at once when adding a member.
CANDIDATES_LIMIT = 20
#: How much of a name an organiser types before anyone is suggested: organisers add other
#: organisers, whom anyone can become, so the suggestions must not be a directory of them.
ORGANISER_QUERY_MIN_CHARS = 3


def candidate_query_min_chars(actor) -> int:
    """How many characters ``actor`` types before people are suggested to add (0: none)."""
    return ORGANISER_QUERY_MIN_CHARS if Role.ORGANISER in roles_addable_by(actor) else 0


def _addable_people(event: Event, actor) -> QuerySet:
    """Active accounts of the roles ``actor`` adds that are not members of ``event`` yet,
    each with ``full_name``: the one rule for the picker and for adding by name."""
    return (
        get_user_model().objects.filter(is_active=True, role__in=roles_addable_by(actor))
        .exclude(pk__in=event.memberships.values("user_id"))
        .annotate(full_name=Concat("first_name", Value(" "), "last_name"))
    )


def username_to_add(event: Event, actor, typed: str) -> str:
    """The username meant by what ``actor`` typed to add a member: the typed text when it is
    someone's username; otherwise the username of the one person ``actor`` may add whose
    full name it is (case and spacing aside), as the picker finds them; else the text as
    typed, for ``add_member`` to refuse in its usual words."""
    typed = typed.strip()
    if get_user_model().objects.filter(username=typed).exists():
        return typed
    named = list(_addable_people(event, actor)
                 .filter(full_name__iexact=" ".join(typed.split()))
                 .values_list("username", flat=True)[:2])
    return named[0] if len(named) == 1 else typed


def member_candidates(event: Event, actor, query: str) -> list[dict]:
    """The people ``actor`` may add to ``event`` (the caller has checked
    ``events.add_member``) whose name or username matches ``query``, as
    ``{"username", "name", "role_label"}``, at most ``CANDIDATES_LIMIT``, by name.

    Only active accounts of the roles ``actor`` adds, not members already. City officials
    search the police and city staff (a short, known list) by any part of a name; an
    organiser, searching other organisers, must type at least ``ORGANISER_QUERY_MIN_CHARS``
    characters and is matched only on the beginning of a username, first name, last name
    or full name: someone they mean to add, not a browse of everyone.
    """
    query = " ".join(query.split())
    min_chars = candidate_query_min_chars(actor)
    if len(query) < min_chars:
        return []
    people = _addable_people(event, actor)
    if query:
        lookup = "istartswith" if min_chars else "icontains"
        people = people.filter(
            Q(**{f"username__{lookup}": query}) | Q(**{f"first_name__{lookup}": query})
            | Q(**{f"last_name__{lookup}": query}) | Q(**{f"full_name__{lookup}": query})
        )
    people = people.order_by("first_name", "last_name", "username")[:CANDIDATES_LIMIT]
    return [{"username": person.username, "name": person.display_name,
             "role_label": str(Role(person.role).label)} for person in people]


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


def note_reaches_organisers(*, to: str, actor_role: str | None) -> bool:
    """Whether the note of a move to ``to`` by someone of ``actor_role`` is addressed to the
    organisers: the changes the city asks for, the reason for a cancellation, or anything an
    organiser wrote. Other notes of the city stay between officials and the log's readers.

    The one rule for both the organisers' e-mail and the conversation on their pages.
    """
    return to in NOTE_REQUIRED or actor_role == Role.ORGANISER


def review_conversation(event: Event, *, viewer=None) -> list[dict]:
    """The conversation of the review, oldest first: every change of state that came with a
    note — the city's requests and the organisers' answers — each as ``{"seq", "at",
    "role", "name" (None when the reader may not know it), "role_label", "from", "to",
    "from_label", "to_label", "note"}``.

    Built from the log's ``event.transition`` entries (nothing else is stored). ``viewer``
    (who may see the event: the caller asks ``events.view_review_conversation``) narrows it
    for organisers to the notes addressed to them (``note_reaches_organisers``); None, or
    an official or reviewer, reads every note.
    """
    organiser_view = viewer is not None and viewer.role == Role.ORGANISER
    # Organisers know the names of the demonstration's members (its page lists them); an
    # official who is not one is shown by party only, as in the organisers' e-mails.
    named = (set(event.memberships.values_list("user_id", flat=True)) if organiser_view
             else None)
    entries = (LogEntry.objects.filter(event=event, kind=LogKind.EVENT_TRANSITION)
               .exclude(data__note="").order_by("seq").only("seq", "at", "actor", "data"))
    labels = dict(Event.State.choices)
    roles = dict(Role.choices)
    conversation = []
    for entry in entries:
        data, actor = entry.data or {}, entry.actor or None
        note = (data.get("note") or "").strip()
        role = actor.get("role") if actor else None
        if not note or (organiser_view and not note_reaches_organisers(
                to=data.get("to"), actor_role=role)):
            continue
        name = actor.get("name") if actor else None
        if named is not None and actor and actor.get("id") not in named:
            name = None
        conversation.append({
            "seq": entry.seq, "at": entry.at, "role": role, "name": name,
            "role_label": roles.get(role, role or ""),
            "from": data.get("from"), "to": data.get("to"),
            "from_label": labels.get(data.get("from"), data.get("from")),
            "to_label": labels.get(data.get("to"), data.get("to")),
            "note": note,
        })
    return conversation


#: Registrations that wait for the city: it has to take them under review, or decide.
AWAITING_CITY = (S.SUBMITTED, S.UNDER_REVIEW)


def registrations_awaiting_city(user) -> QuerySet[Event]:
    """The registrations waiting for ``user``'s decision as the city (submitted or under
    review), the longest registered first; none for anyone else."""
    if not user.is_authenticated or not user.has_perm("events.review_event"):
        return Event.objects.none()
    return events_visible_to(user).filter(state__in=AWAITING_CITY).order_by("created_at", "pk")


def registrations_awaiting_organiser(user) -> QuerySet[Event]:
    """The registrations the city sent back ("Changes requested") to ``user`` as one of
    their organisers, the longest registered first; none for anyone else."""
    if not user.is_authenticated or not user.is_active or user.role != Role.ORGANISER:
        return Event.objects.none()
    return (Event.objects.select_related("organiser")
            .filter(state=S.CHANGES_REQUESTED, memberships__user=user,
                    memberships__role=Role.ORGANISER)
            .order_by("created_at", "pk"))


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
