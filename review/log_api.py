"""The after-action log over HTTP (review layer: reads events, so it sits above the core)."""

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.log import format_timestamp, log_head, verify_event_log
from coordination.models import LogEntry
from coordination.query_params import whole_number_parameter
from events.selectors import get_event_for
from review import exports

MAX_LIMIT = 1000


def _event_log_for(user, pk):
    event = get_event_for(user, pk)
    if not user.has_perm("events.view_event_log", event):
        raise PermissionDenied(_("Only city staff and reviewers read the after-action log."))
    return event


def _whole_number(request, name: str, *, default: int, low: int, high: int | None) -> int:
    """A whole-number query parameter within bounds; 400 naming the parameter otherwise."""
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"{low}…{high}" if high is not None else f"≥ {low}"
        raise ValidationError({name: [_("Use a whole number %(bounds)s.") % {"bounds": bounds}]})
    return value


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
        parameters=[whole_number_parameter("after_seq", minimum=0, default=0,
                                           description="Entries after this seq."),
                    whole_number_parameter("limit", minimum=1, maximum=MAX_LIMIT,
                                           default=MAX_LIMIT,
                                           description="At most this many entries.")],
        responses=LogEntrySerializer(many=True),
    )
    def get(self, request, pk):
        event = _event_log_for(request.user, pk)
        after_seq = _whole_number(request, "after_seq", default=0, low=0, high=None)
        limit = _whole_number(request, "limit", default=MAX_LIMIT, low=1, high=MAX_LIMIT)
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


class EventLogHeadView(APIView):
    """The current head of an event's log: a receipt to keep (docs/log.md, "Receipts")."""

    @extend_schema(
        summary="The head of an event's log (a receipt)",
        description=(
            "The event's last log entry as `{seq, hash, at}`. Keep it: `manage.py verify_log "
            "REFERENCE --receipt SEQ:HASH` and the review page check later that the log still "
            "holds that entry with that hash, which a log rewritten with every hash recomputed "
            "does not. For the event's organisers, its police members, city staff and (for a "
            "concluded event) reviewers; other callers who see the event get 403, those who "
            "do not 404."),
        responses={
            200: inline_serializer("LogHead", {
                "seq": serializers.IntegerField(help_text="0 for a log without entries."),
                "hash": serializers.CharField(help_text="64 hex digits."),
                "at": serializers.DateTimeField(allow_null=True,
                                                help_text="As the log writes it (UTC, Z)."),
            }),
            403: OpenApiResponse(description="Sees the event but is not one of its parties."),
            404: OpenApiResponse(description="No such event, or not visible to the caller."),
        },
    )
    def get(self, request, pk):
        event = get_event_for(request.user, pk)
        if not request.user.has_perm("events.view_log_receipts", event):
            raise PermissionDenied(_("Receipts of the log are for the demonstration's "
                                     "organisers, its police members, city staff and "
                                     "reviewers."))
        response = Response(log_head(event.pk).as_dict())
        response["Cache-Control"] = "private, no-store"
        return response


class StreamingExportResponse(StreamingHttpResponse):
    """Streams its (synchronous) lines under ASGI too, a piece at a time.

    Given a synchronous iterator, Django's ASGI handler first reads it *whole* into a list
    (``StreamingHttpResponse.__aiter__``): a log of 100,000 entries would sit in memory and the
    download would start only at the end. Here each piece is made by the same request thread
    (``thread_sensitive``: the same database connection and its open cursor) as it is sent.
    """

    async def __aiter__(self):
        pieces = iter(self.streaming_content)
        done = object()
        next_piece = sync_to_async(next, thread_sensitive=True)
        while (piece := await next_piece(pieces, done)) is not done:
            yield piece


class _JSONWhateverTheFormat(DefaultContentNegotiation):
    """``?format=`` names the export here, not one of DRF's renderers: errors stay JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


EXPORT_FORMATS = ["csv", "jsonl", "pdf"]


class EventLogExportView(APIView):
    """Download an event's whole log (CSV or JSON Lines, streamed; every entry with its hash)
    or its after-action report (PDF). See docs/log.md for the columns and how to verify."""

    content_negotiation_class = _JSONWhateverTheFormat

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=EXPORT_FORMATS,
                                     required=True,
                                     description="csv, jsonl (the log) or pdf (the report)")],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=(
                "Header seq,at,actor_id,actor_name,actor_role,kind,data,hash,actor,happened_at;"
                " one row per entry in order.")),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description=(
                'One {"seq","at","actor","kind","data","hash"} object per line '
                '(and "happened_at" where it differs from "at").')),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY,
                                                      description="After-action report."),
            400: OpenApiResponse(description='{"format": [...]}: not csv, jsonl or pdf.'),
        },
    )
    def get(self, request, pk):
        event = _event_log_for(request.user, pk)
        export_format = request.query_params.get("format", "")
        if export_format not in EXPORT_FORMATS:
            raise ValidationError({"format": [
                _("Choose one of: %(formats)s.") % {"formats": ", ".join(EXPORT_FORMATS)}
            ]})
        if export_format == "pdf":
            # Imported here: the report reads every app, the log's API need not.
            from review.report import after_action_pdf

            response = HttpResponse(after_action_pdf(event, reader=request.user),
                                    content_type="application/pdf")
            filename = f"{event.reference}-after-action.pdf"
        else:
            content_type, extension = exports.FORMATS[export_format]
            response = StreamingExportResponse(
                exports.in_chunks(exports.export_lines(event.pk, export_format)),
                content_type=content_type,
            )
            filename = f"{event.reference}-log.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
