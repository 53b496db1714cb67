"""The live channel over HTTP: history, the fallback for sending, acknowledgements, tickets."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.log import format_timestamp
from coordination.query_params import whole_number_parameter
from events.selectors import get_event_for
from messaging import selectors, services
from messaging.frames import acked_frame, in_language, message_frame
from messaging.models import Message, StandardInstruction

MAX_LIMIT = 500


class SendSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=["all", "officials"])
    kind = serializers.ChoiceField(choices=Message.Kind.values, default="message")
    body = serializers.CharField(trim_whitespace=False, required=False,
                                 help_text="The text; omitted for a standard instruction.")
    client_id = serializers.UUIDField()
    reply_to = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    standard_instruction = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
        help_text="The id of a standard instruction to send instead of a body (kind "
                  "`instruction`; police and city only).")


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()


class AckSerializer(serializers.Serializer):
    user = PersonSerializer()
    at = serializers.DateTimeField()


class KeyMomentInfoSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True)
    marked_by = PersonSerializer()
    marked_at = serializers.DateTimeField()


class StandardInstructionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    texts = serializers.DictField(child=serializers.CharField(),
                                  help_text="The text per language code, as sent.")


class StandardInstructionSerializer(serializers.ModelSerializer):
    """A standard instruction as police and city choose it."""

    text = serializers.SerializerMethodField(help_text="The text in the caller's language "
                                                       "(English when it has none).")
    texts = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = StandardInstruction
        fields = ["id", "label", "text", "texts", "position"]

    def get_text(self, instruction: StandardInstruction) -> str:
        return instruction.text_in(get_language())


class MessageFrameSerializer(serializers.Serializer):
    """The ``message`` frame of the live channel (documents the schema)."""

    type = serializers.CharField()
    channel = serializers.CharField()
    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    body = serializers.CharField()
    sender = PersonSerializer()
    sent_at = serializers.DateTimeField()
    client_id = serializers.UUIDField()
    reply_to = serializers.IntegerField(allow_null=True)
    acks = AckSerializer(many=True)
    awaiting = PersonSerializer(many=True)
    key_moment = KeyMomentInfoSerializer(allow_null=True)
    standard_instruction = StandardInstructionRefSerializer(
        allow_null=True, help_text="Set for a standard instruction: `body` is then its text "
                                   "in the reader's language (English when it has none).")


def _int_param(request, name: str, default: int, minimum: int, maximum: int) -> int:
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= maximum:
        raise ValidationError({name: [_("Use a whole number from %(min)s to %(max)s.")
                                      % {"min": minimum, "max": maximum}]})
    return value


class AckedFrameSerializer(serializers.Serializer):
    type = serializers.CharField()
    message_id = serializers.IntegerField()
    user = PersonSerializer()
    at = serializers.DateTimeField()


class EventMessagesView(APIView):
    """Messages of one channel in ``seq`` order; sending when a WebSocket is not available."""

    @extend_schema(
        parameters=[OpenApiParameter("channel", OpenApiTypes.STR, enum=["all", "officials"],
                                     default="all"),
                    whole_number_parameter("after_seq", minimum=0, maximum=2**31 - 1,
                                           default=0, description="Messages after this seq."),
                    whole_number_parameter("limit", minimum=1, maximum=MAX_LIMIT, default=100,
                                           description="At most this many messages.")],
        responses=MessageFrameSerializer(many=True),
    )
    def get(self, request, pk):
        event = get_event_for(request.user, pk)
        name = request.query_params.get("channel", "all")
        channel = services.get_channel(event, name)
        if not request.user.has_perm("messaging.read_channel", channel):
            raise PermissionDenied(_("You cannot read this channel."))
        after_seq = _int_param(request, "after_seq", 0, 0, 2**31 - 1)
        limit = _int_param(request, "limit", 100, 1, MAX_LIMIT)
        language = get_language()
        return Response([
            in_language(frame, language) for frame in selectors.message_frames_between(
                event.pk, name, after_seq=after_seq, limit=limit)
        ])

    @extend_schema(request=SendSerializer,
                   responses={201: MessageFrameSerializer, 200: MessageFrameSerializer})
    def post(self, request, pk):
        event = get_event_for(request.user, pk)
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message, created = services.send_message(event=event, sender=request.user,
                                                 **serializer.validated_data)
        return Response(in_language(message_frame(message), get_language()),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class StandardInstructionsView(APIView):
    """The standard instructions in use, in order (police and city, to choose one to send)."""

    @extend_schema(responses=StandardInstructionSerializer(many=True))
    def get(self, request):
        if not request.user.has_perm("messaging.view_standard_instructions"):
            raise PermissionDenied(_("Only police and city staff use standard instructions."))
        return Response(StandardInstructionSerializer(
            selectors.standard_instructions(), many=True).data)


class MessageAcksView(APIView):
    """Acknowledge an instruction or alert."""

    @extend_schema(request=None, responses={201: AckedFrameSerializer, 200: AckedFrameSerializer})
    def post(self, request, pk):
        message = (
            Message.objects.select_related("channel__event", "sender").filter(pk=pk).first()
        )
        if message is None or not (
            request.user.has_perm("events.view_event", message.channel.event)
            and request.user.has_perm("messaging.read_channel", message.channel)
        ):
            raise Http404(_("No such message."))
        ack, created = services.acknowledge_message(message, user=request.user)
        return Response(acked_frame(ack),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class TicketView(APIView):
    """A single-use ticket (60 s) for a WebSocket client that is not a browser."""

    @extend_schema(request=None, responses={201: inline_serializer("Ticket", {
        "ticket": serializers.CharField(), "expires_at": serializers.DateTimeField()})})
    def post(self, request):
        # A ticket taken with an API token lasts no longer than that token.
        ticket, expires_at = services.issue_ticket(
            user=request.user, token_key=getattr(request.auth, "token_key", ""))
        return Response({"ticket": ticket, "expires_at": format_timestamp(expires_at)},
                        status=status.HTTP_201_CREATED)
