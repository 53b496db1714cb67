"""Who may do what with a zone. Asked by name: ``user.has_perm("zones.…", zone)``.

- Seeing a zone of a demonstration is seeing the demonstration (``events.view_event``,
  asked by name); the city-wide layer is for police, city and reviewers.
- ``zones.add_zone`` (object: the event): its organisers propose, its police and city
  members create.
- ``zones.change_zone`` / ``zones.withdraw_zone``: the event's police and city members; a
  city-wide zone, the city.
- ``zones.agree_zone``: the event's organisers, police and city members, each for their
  party; a city-wide zone, the city.
- ``zones.add_citywide_zone`` (no object): the city only.
- ``zones.view_incidents`` / ``zones.report_incident`` (object: the event): see below.
"""

import rules

from coordination.parties import is_city, is_official, is_organiser, is_police, is_reviewer


def _is_member(user, event) -> bool:
    return (event is not None and user.is_authenticated
            and event.memberships.filter(user_id=user.pk).exists())


@rules.predicate
def is_member_of_event(user, event) -> bool:
    """``user`` is a member of ``event`` (the object is the event)."""
    return _is_member(user, event)


@rules.predicate
def is_citywide(user, zone) -> bool:
    return zone is not None and zone.event_id is None


@rules.predicate
def is_member_of_zones_event(user, zone) -> bool:
    return zone is not None and zone.event_id is not None and _is_member(user, zone.event)


@rules.predicate
def may_view_zones_event(user, zone) -> bool:
    return (zone is not None and zone.event_id is not None
            and user.has_perm("events.view_event", zone.event))


is_party = is_organiser | is_official

rules.add_perm(
    "zones.view_zone", may_view_zones_event | (is_citywide & (is_official | is_reviewer))
)
rules.add_perm("zones.add_zone", is_party & is_member_of_event)
rules.add_perm("zones.add_citywide_zone", is_city)
rules.add_perm(
    "zones.change_zone", (is_official & is_member_of_zones_event) | (is_citywide & is_city)
)
rules.add_perm(
    "zones.withdraw_zone", (is_official & is_member_of_zones_event) | (is_citywide & is_city)
)
rules.add_perm("zones.agree_zone", (is_party & is_member_of_zones_event) | (is_citywide & is_city))


@rules.predicate
def may_view_event(user, event) -> bool:
    """``user`` may see the demonstration (the object is the event)."""
    return event is not None and user.has_perm("events.view_event", event)


# Clashes of a demonstration (zones/conflicts.py): whoever may see it, but only clashes with
# what they already see (zones.selectors.clash_scope_for), so that the check is no oracle of
# hidden demonstrations and sites; police and city, who see everything, every clash. The
# review page shows them to police and city.
rules.add_perm("zones.view_conflicts", may_view_event)
rules.add_perm("zones.view_all_conflicts", is_official & may_view_event)
rules.add_perm("zones.review_conflicts", is_official & may_view_event)

# The city-wide map (every demonstration and zone at a moment): police and city.
rules.add_perm("zones.view_city_map", is_official)

# Incidents on a demonstration's map (zones/incidents.py; the object is the event). Whoever
# may see the demonstration sees its incidents: they appear on every open page of it, the
# organisers' included, since they are parties on the day too. Reporting is for the police
# members of the demonstration (assigned to it) and for city staff, who run the
# protest-management unit's desk for every demonstration, as they see every one.
rules.add_perm("zones.view_incidents", may_view_event)
rules.add_perm("zones.report_incident",
               (is_police & is_member_of_event) | (is_city & may_view_event))
