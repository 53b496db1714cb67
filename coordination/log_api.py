"""The after-action log over HTTP (review layer: reads events, so it sits above the core)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.log import format_timestamp, verify_event_log
from coordination.models import LogEntry
from events.selectors import get_event_for

MAX_LIMIT = 1000


def _event_log_for(user, pk):
    event = get_event_for(user, pk)
    if not user.has_perm("events.view_event_log", event):
        raise PermissionDenied(_("Only city staff and reviewers read the after-action log."))
    return event


class LogEntrySerializer(serializers.ModelSerializer):
    at = serializers.SerializerMethodField()

    class Meta:
        model = LogEntry
        fields = ["seq", "at", "actor", "kind", "data", "hash"]

    def get_at(self, entry) -> str:
        return format_timestamp(entry.at)


class EventLogView(APIView):
    """Entries of an event's log in order, from ``after_seq`` on (at most ``limit``)."""

    @extend_schema(
        parameters=[OpenApiParameter("after_seq", OpenApiTypes.INT),
                    OpenApiParameter("limit", OpenApiTypes.INT)],
        responses=LogEntrySerializer(many=True),
    )
    def get(self, request, pk):
        event = _event_log_for(request.user, pk)
        try:
            after_seq = int(request.query_params.get("after_seq", 0))
            limit = int(request.query_params.get("limit", MAX_LIMIT))
        except ValueError:
            raise ValidationError({"after_seq": [_("Use whole numbers.")]}) from None
        if after_seq < 0 or not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({"after_seq": [_("after_seq ≥ 0 and 1 ≤ limit ≤ 1000.")]})
        entries = LogEntry.objects.filter(event=event, seq__gt=after_seq).order_by("seq")[:limit]
        return Response(LogEntrySerializer(entries, many=True).data)


class EventLogVerifyView(APIView):
    """Recompute the hash chain of an event's log."""

    @extend_schema(responses=inline_serializer("LogVerification", {
        "valid": serializers.BooleanField(),
        "entries": serializers.IntegerField(),
        "first_bad_seq": serializers.IntegerField(allow_null=True),
    }))
    def get(self, request, pk):
        event = _event_log_for(request.user, pk)
        return Response(verify_event_log(event.pk).as_dict())
