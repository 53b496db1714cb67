"""How each kind of zone looks, on screen and on paper.

One table, so that the city-wide map, the printed briefing sheet and their legends show a
kind in the same colour: an officer holding the sheet recognises what the screen showed.
Colour is never the only sign: the legend and the labels always say the kind too.
"""

from __future__ import annotations

#: Outline/fill colour of each zone kind (CSS hex), keyed by ``Zone.Kind`` value. The event
#: page's map is given this table too (zones/event_map.py → static/zones/zone_map.js).
KIND_COLOURS: dict[str, str] = {
    "assembly": "#18a558",
    "route_corridor": "#2563eb",
    "buffer": "#d97706",
    "restricted": "#b42318",
    "first_aid": "#db2777",
    "press": "#7c3aed",
    "accessible_viewing": "#0891b2",
    "police_staging": "#1e3a8a",
    "dispersal": "#9a3412",
    "sensitive_site": "#52525b",
}

#: Places of the demonstration itself (not zones).
ASSEMBLY_POINT_COLOUR = "#18a558"
DISPERSAL_POINT_COLOUR = "#d64545"
ROUTE_COLOUR = "#1d4ed8"
#: A demonstration that clashes with another at the chosen time.
CLASH_COLOUR = "#e3116c"


def kind_colour(kind: str) -> str:
    """The colour of a kind; an unknown kind (a newer client's) is drawn grey, not refused."""
    return KIND_COLOURS.get(kind, "#52525b")

#: Incidents on the map, by ``Incident.Severity`` value: marker colour (zones/event_map.py →
#: static/zones/incident_map.js). The popup and the list say the severity in words too.
SEVERITY_COLOURS: dict[str, str] = {
    "low": "#ca8a04",
    "medium": "#ea580c",
    "high": "#b91c1c",
}
