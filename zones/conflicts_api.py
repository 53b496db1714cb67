"""``GET /api/v1/events/{id}/conflicts/``: the clashes of a demonstration (docs/protocol.md)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from events.selectors import get_event_for
from zones.conflicts import KINDS
from zones.selectors import clashes_as_seen_by


# Named ``ConflictKindEnum`` by SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: other fields
# called "kind" (zones', events') have other choices.
@extend_schema_field({
    "type": "string", "enum": list(KINDS),
    "description": "`overlap`: their places meet; `too_close`: within the separation "
                   "distance (or a counter-demonstration pair, see `counter`); "
                   "`sensitive_site`: a city-wide sensitive site within the distance.",
})
class ConflictKindField(serializers.CharField):
    pass


class ConflictWindowSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ConflictSerializer(serializers.Serializer):
    """One clash. ``event``/``reference``/``title`` name the other demonstration (null for
    a sensitive site) and ``zone``/``label`` the sensitive site (null for a demonstration)."""

    event = serializers.IntegerField(allow_null=True, help_text="The other demonstration.")
    reference = serializers.CharField(allow_null=True)
    title = serializers.CharField(allow_null=True)
    kind = ConflictKindField()
    distance_m = serializers.FloatField(help_text="Shortest distance on the ground, metres.")
    overlap = ConflictWindowSerializer(
        allow_null=True,
        help_text="When both happen at once; null only for a counter-demonstration pair "
                  "at different times.",
    )
    counter = serializers.BooleanField(
        help_text="One is a counter-demonstration to the other: always listed.")
    zone = serializers.IntegerField(allow_null=True, help_text="The sensitive site.")
    label = serializers.CharField(allow_null=True)


class EventConflictsView(APIView):
    """Other demonstrations at the same time within the separation distance
    (``PARLEY_SEPARATION_METRES``, default 200 m) of this one's assembly point, route,
    dispersal point or zones; its counter-demonstrations and the one it answers, always; and
    city-wide sensitive sites within that distance. Nearest first, sensitive sites last.

    Police and city are told of every clash. Anyone else only of clashes with what they
    already see — their own demonstrations and the public page's, as the public page shows
    them — and never of a sensitive site unless they may see the city-wide layer."""

    @extend_schema(responses=ConflictSerializer(many=True))
    def get(self, request, pk):
        event = get_event_for(request.user, pk)
        if not request.user.has_perm("zones.view_conflicts", event):
            raise PermissionDenied(_("You may not see this demonstration's clashes."))
        clashes = clashes_as_seen_by(request.user, event)
        return Response(ConflictSerializer(clashes, many=True).data)
