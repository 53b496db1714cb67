"""Pages of demonstrations: thin views over ``events.selectors`` and ``events.services``."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from coordination.errors import Conflict
from coordination.languages import language_names
from coordination.log import geometry_from_log, log_head
from coordination.moments import format_moment
from coordination.parties import Role
from events import selectors, services
from events.forms import AddMemberForm, EventFilterForm, EventForm, TransitionForm
from events.models import Event, EventMembership
from events.rules import can_remove_member
from events.serializers import CONTACT_FIELDS
from events.workflow import NOTE_REQUIRED, PERMISSION_FOR, next_states, too_early

#: Button labels of the workflow, by target state.
TRANSITION_LABELS = {
    Event.State.SUBMITTED: gettext_lazy("Submit"),
    Event.State.UNDER_REVIEW: gettext_lazy("Take under review"),
    Event.State.CHANGES_REQUESTED: gettext_lazy("Request changes"),
    Event.State.AGREED: gettext_lazy("Agree"),
    Event.State.LIVE: gettext_lazy("Mark live"),
    Event.State.CONCLUDED: gettext_lazy("Conclude"),
    Event.State.WITHDRAWN: gettext_lazy("Withdraw"),
    Event.State.CANCELLED: gettext_lazy("Cancel the demonstration"),
}


#: Moves that cannot be taken back, confirmed on a page of their own first.
CONFIRM_FIRST = frozenset({Event.State.WITHDRAWN})


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


@login_required
def event_list(request):
    form = EventFilterForm(request.GET or None)
    events = selectors.events_visible_to(request.user)
    if form.is_valid():
        events = selectors.filter_events(events, **form.filters())
    else:
        events = selectors.filter_events(events)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "events/event_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_register": request.user.has_perm("events.add_event"),
    })


@login_required
def register_event(request):
    if not request.user.has_perm("events.add_event"):
        raise PermissionDenied(_("Only organisers register demonstrations."))
    form = EventForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.register_event(organiser=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your demonstration %(reference)s is registered as a "
                                        "draft. Submit it when it is ready.")
                             % {"reference": event.reference})
            return redirect(event)
    return render(request, "events/event_form.html", {"form": form, "event": None})


def _saved_message(event: Event, *, amending: bool) -> str:
    """What saving the registration did: an amendment goes to the city at once; a draft or
    a registration sent back waits for the organiser's "Submit", so say so."""
    if amending:
        return _("Your changes are saved and sent to the city, which will agree the "
                 "demonstration again.")
    if Event.State.SUBMITTED in next_states(event.state):
        return _("Your changes are saved but not sent to the city yet: press “Submit” "
                 "when you are ready.")
    return _("Your changes are saved.")


@login_required
def edit_event(request, pk):
    """Edit a draft or sent-back registration, or amend an agreed one (which then goes back
    to the city for agreement)."""
    event = selectors.get_event_for(request.user, pk)
    try:
        services.check_can_change(event, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(event)
    amending = event.state == Event.State.AGREED
    form = EventForm(request.POST or None, instance=event, user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.change_registration(event, actor=request.user, **changes)
        except ValidationError as exc:
            form.add_error(None, exc)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect(event)
        else:
            messages.success(request, _saved_message(event, amending=amending))
            return redirect(event)
    return render(request, "events/event_form.html",
                  {"form": form, "event": event, "amending": amending})


def _geometry(event: Event) -> dict:
    """The event's places as GeoJSON geometries, for the map on its page."""
    return {
        name: json.loads(getattr(event, name).geojson)
        for name in ("assembly_point", "route", "dispersal_point")
        if getattr(event, name)
    }


def _transitions(user, event: Event) -> list[dict]:
    return [
        {"to": to, "label": TRANSITION_LABELS[to], "note_required": to in NOTE_REQUIRED,
         "too_early": too_early(event, to)}
        for to in next_states(event.state)
        if user.has_perm(PERMISSION_FOR[to], event)
    ]


def _receipts(user, event: Event) -> dict | None:
    """The receipts of the event's log for its parties (``events.view_log_receipts``)."""
    if not user.has_perm("events.view_log_receipts", event):
        return None
    return {"states": selectors.state_receipts(event), "head": log_head(event.pk)}


def _members(user, event: Event) -> list[dict]:
    """The members as the page lists them, each with whether ``user`` may remove them (the
    last organiser never: the button would only meet a refusal)."""
    members = selectors.members_of(event)
    may_remove = user.has_perm("events.remove_member", event)
    organisers = sum(1 for member in members if member["role"] == Role.ORGANISER)
    return [
        {**member, "role_label": Role(member["role"]).label,
         "can_remove": may_remove
         and can_remove_member(user, event, EventMembership(role=member["role"]))
         and not (member["role"] == Role.ORGANISER and organisers <= 1)}
        for member in members
    ]


@login_required
def event_detail(request, pk):
    event = selectors.get_event_for(request.user, pk)
    user = request.user
    return render(request, "events/event_detail.html", {
        "event": event,
        "show_contacts": user.has_perm("events.view_event_contacts", event),
        "contact_fields": CONTACT_FIELDS,
        "geojson": _geometry(event),
        "members": (members := _members(user, event)),
        "can_remove_members": any(member["can_remove"] for member in members),
        "transitions": _transitions(user, event),
        "can_edit": user.has_perm("events.change_event", event) and (
            event.is_open_for_changes or event.state == Event.State.AGREED),
        "can_add_member": user.has_perm("events.add_member", event),
        "member_form": AddMemberForm(),
        "member_query_min_chars": selectors.candidate_query_min_chars(user),
        "receipts": _receipts(user, event),
        "on_the_day": selectors.is_on_the_day(event),
        "changes_since_agreed": (_change_rows(selectors.changes_since_agreed(event))
                                 if user.role in (Role.POLICE, Role.CITY) else []),
    })


def _change_rows(changes: list[dict]) -> list[dict]:
    """The changes of an amended demonstration in words, for the city and police: each
    field's label with its agreed and its new value (fields changed back left out)."""
    rows = []
    for change in changes:
        name = change["field"]
        agreed, now = _said(name, change["agreed"]), _said(name, change["now"])
        withheld = selectors.WITHHELD in (change["agreed"], change["now"])
        if agreed == now and not withheld:
            continue
        if withheld:
            agreed, now = _("(not kept in the record)"), _("changed: see the contact details")
        label = str(Event._meta.get_field(name).verbose_name)
        rows.append({"field": name, "label": label[:1].upper() + label[1:],
                     "agreed": agreed, "now": now})
    return rows


def _said(name: str, value) -> str:
    """One value of a demonstration's field, as the log keeps it, in words."""
    if value in (None, "", []):
        return "—"
    if name in ("starts_at", "ends_at"):
        moment = parse_datetime(str(value))
        return format_moment(moment) if moment else str(value)
    if name in ("assembly_point", "dispersal_point", "route"):
        shape = geometry_from_log(value) or {}
        coordinates = shape.get("coordinates") or []
        if shape.get("type") == "Point" and len(coordinates) == 2:
            return _("latitude %(lat).5f, longitude %(lon).5f") % {
                "lat": coordinates[1], "lon": coordinates[0]}
        return ngettext("a route of %(count)d point", "a route of %(count)d points",
                        len(coordinates)) % {"count": len(coordinates)}
    if name == "kind" and value in Event.Kind.values:
        return str(Event.Kind(value).label)
    if name == "counter_to":
        return Event.objects.filter(pk=value).values_list("reference", flat=True).first() or "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "languages" and isinstance(value, list):
        return ", ".join(language_names(value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@require_POST
@login_required
def transition_event(request, pk):
    event = selectors.get_event_for(request.user, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(
            f"{form.fields[name].label or name}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        ))
        return redirect(event)
    to = form.cleaned_data["to"]
    if to in CONFIRM_FIRST and not form.cleaned_data["confirmed"]:
        # A risky step is confirmed on a page of its own, which works without scripts.
        try:
            services.check_can_move(event, to=to, actor=request.user)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect(event)
        return render(request, "events/confirm_withdrawal.html",
                      {"event": event, "note": form.cleaned_data["note"]})
    try:
        event = services.transition_event(
            event, to=to, actor=request.user, note=form.cleaned_data["note"]
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        if to in CONFIRM_FIRST:
            return render(request, "events/confirm_withdrawal.html",
                          {"event": event, "note": "", "error": _error_text(exc)})
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The demonstration is now “%(state)s”.")
                         % {"state": event.get_state_display()})
    return redirect(event)


@require_POST
@login_required
def add_member(request, pk):
    event = selectors.get_event_for(request.user, pk)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a username."))
        return redirect(event)
    # The picker finds people by name too: a full name it found adds that person.
    username = selectors.username_to_add(event, request.user, form.cleaned_data["username"])
    try:
        membership, created = services.add_member(event, username=username, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        name = membership.user.display_name
        if created:
            messages.success(request, _("%(name)s is now a member.") % {"name": name})
        else:
            messages.info(request, _("%(name)s was already a member.") % {"name": name})
    return redirect(event)


@never_cache
@require_safe
@login_required
def member_candidates(request, pk):
    """``?q=ann`` → ``[{"username", "name", "role_label"}]``: whom the reader may add to the
    demonstration (``events.selectors.member_candidates``), for the picker beside "Add
    member" (static/events/member_picker.js)."""
    event = selectors.get_event_for(request.user, pk)
    if not request.user.has_perm("events.add_member", event):
        raise PermissionDenied(_("Your role cannot add members to this demonstration."))
    query = request.GET.get("q", "")[:150]
    return JsonResponse(selectors.member_candidates(event, request.user, query), safe=False)


@require_POST
@login_required
def remove_member(request, pk, username):
    event = selectors.get_event_for(request.user, pk)
    try:
        membership = services.remove_member(event, username=username, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is no longer a member of this demonstration.")
                         % {"name": membership.user.display_name})
        if not request.user.has_perm("events.view_event", event):
            return redirect("events:list")  # an organiser who left their own demonstration
    return redirect(event)
