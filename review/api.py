"""The replay's history over HTTP (review layer)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from events.selectors import get_event_for
from review.timeline import REPLAY_MESSAGE_LIMIT, replay_history


def _person(name: str) -> serializers.Serializer:
    return inline_serializer(name, {"id": serializers.IntegerField(),
                                    "name": serializers.CharField(),
                                    "role": serializers.CharField()})


_GEOMETRY = serializers.JSONField(help_text="GeoJSON geometry")
_LABELS = serializers.DictField(child=serializers.CharField())

REPLAY_SCHEMA = inline_serializer("ReplayHistory", {
    "event": inline_serializer("ReplayEvent", {
        "id": serializers.IntegerField(), "reference": serializers.CharField(),
        "title": serializers.CharField(), "state": serializers.CharField(),
        "starts_at": serializers.DateTimeField(), "ends_at": serializers.DateTimeField(),
    }),
    "start": serializers.DateTimeField(help_text="The slider's start: the first log entry."),
    "end": serializers.DateTimeField(help_text="The slider's end: the conclusion (now for a "
                                               "demonstration not concluded)."),
    "places": serializers.DictField(child=_GEOMETRY, help_text="assembly_point, route, "
                                                               "dispersal_point"),
    "zones": inline_serializer("ReplayZone", {
        "id": serializers.IntegerField(), "label": serializers.CharField(),
        "withdrawn_at": serializers.DateTimeField(allow_null=True),
        "versions": inline_serializer("ReplayZoneVersion", {
            "number": serializers.IntegerField(), "kind": serializers.CharField(),
            "conditions": serializers.CharField(), "geometry": _GEOMETRY,
            "valid_from": serializers.DateTimeField(allow_null=True),
            "valid_to": serializers.DateTimeField(allow_null=True),
            "proposed_at": serializers.DateTimeField(),
            "agreed_at": serializers.DateTimeField(
                allow_null=True, help_text="When the last of its parties agreed this version."),
        }, many=True),
    }, many=True),
    "incidents": inline_serializer("ReplayIncident", {
        "id": serializers.IntegerField(), "happened_at": serializers.DateTimeField(),
        "recorded_at": serializers.DateTimeField(), "severity": serializers.CharField(),
        "description": serializers.CharField(), "location": _GEOMETRY,
        "reported_by": _person("ReplayReporter"),
    }, many=True),
    "messages": inline_serializer("ReplayMessages", {
        "count": serializers.IntegerField(help_text="Messages of both channels in all."),
        "truncated": serializers.BooleanField(help_text="Only the first ones are in results."),
        "results": inline_serializer("ReplayMessage", {
            "id": serializers.IntegerField(), "channel": serializers.CharField(),
            "seq": serializers.IntegerField(), "kind": serializers.CharField(),
            "body": serializers.CharField(), "sender": _person("ReplaySender"),
            "sent_at": serializers.DateTimeField(), "key_moment": serializers.BooleanField(),
        }, many=True),
    }),
    "colours": _LABELS, "kinds": _LABELS, "statuses": _LABELS, "severities": _LABELS,
    "channels": _LABELS, "message_kinds": _LABELS, "roles": _LABELS,
})


class EventReplayView(APIView):
    """Everything the replay of a demonstration slides through, in one answer.

    City staff (any demonstration) and reviewers (concluded ones); others who see the
    demonstration get 403, the rest 404. ``zones``: every version of every zone with
    ``proposed_at`` and ``agreed_at`` (when its last party agreed it; null if never) and the
    zone's ``withdrawn_at``. At a moment ``t`` a zone shows its latest version proposed at or
    before ``t``: ``withdrawn`` if withdrawn by ``t``, else ``agreed`` if that version was
    agreed by ``t``, else ``proposed``. Incidents count from ``happened_at``. ``messages``:
    both channels in order, the first 5,000 (``truncated`` says when there are more).
    """

    @extend_schema(responses={200: REPLAY_SCHEMA, 403: OpenApiTypes.OBJECT,
                              404: OpenApiTypes.OBJECT})
    def get(self, request, pk):
        event = get_event_for(request.user, pk)
        if not request.user.has_perm("review.review_event", event):
            raise PermissionDenied(_("The after-action review is for city staff and "
                                     "reviewers."))
        return Response(replay_history(event, message_limit=REPLAY_MESSAGE_LIMIT))
