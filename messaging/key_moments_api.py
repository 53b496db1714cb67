"""REST API of key moments: thin views over ``messaging.key_moments``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import key_moments


class MarkSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=key_moments.NOTE_MAX_CHARS)


class KeyMomentFrameSerializer(serializers.Serializer):
    """The ``key_moment`` frame of the live channel (documents the schema)."""

    type = serializers.CharField()
    message_id = serializers.IntegerField()
    marked = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


class MessageKeyMomentView(APIView):
    """City staff who read a message's channel mark it as a key moment, or unmark it."""

    @extend_schema(
        request=MarkSerializer,
        responses={
            201: OpenApiResponse(KeyMomentFrameSerializer, description="Marked."),
            200: OpenApiResponse(KeyMomentFrameSerializer,
                                 description="Already marked: unchanged, or its note "
                                             "replaced."),
            403: OpenApiResponse(description="Not city staff."),
            404: OpenApiResponse(description="No such message, or one the caller does not "
                                             "read."),
        },
    )
    def post(self, request, pk):
        message = key_moments.get_message_for(request.user, pk)
        key_moments.check_can_mark(message=message, user=request.user)
        serializer = MarkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        was_marked = hasattr(message, "key_moment")
        key_moment, _changed = key_moments.mark_key_moment(
            message=message, user=request.user, note=serializer.validated_data["note"])
        frame = key_moments.key_moment_frame(message, marked=True, note=key_moment.note)
        return Response(frame, status=status.HTTP_200_OK if was_marked
                        else status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk):
        message = key_moments.get_message_for(request.user, pk)
        key_moments.unmark_key_moment(message=message, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
