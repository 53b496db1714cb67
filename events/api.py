"""REST API of demonstrations: thin views over ``events.selectors`` and ``events.services``."""


from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.query_params import (
    bbox_param,
    bbox_parameter,
    choices_parameter,
    time_param,
    time_parameter,
)
from coordination.request_bodies import json_only
from events import selectors, services
from events.models import Event
from events.serializers import EventSerializer, MemberSerializer, TransitionSerializer


class EventPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {"page": {"minimum": 1},
                  "page_size": {"minimum": 1, "maximum": self.max_page_size,
                                "default": self.page_size}}
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


# The filters are the list's: registering (POST) takes none.
@extend_schema_view(get=extend_schema(parameters=[
    choices_parameter("state", Event.State.values, "Only demonstrations in these states."),
    time_parameter("starts_after", "Only those starting at or after this time."),
    time_parameter("starts_before", "Only those starting at or before this time."),
    bbox_parameter("only those whose assembly point, route or dispersal point touches the "
                   "box."),
]))
class EventListView(generics.ListCreateAPIView):
    """Demonstrations the caller may see; organisers register new ones here."""

    serializer_class = EventSerializer
    pagination_class = EventPagination
    parser_classes = json_only()

    def get_queryset(self):
        request = self.request
        states = [s for s in request.query_params.get("state", "").split(",") if s]
        unknown = set(states) - set(Event.State.values)
        if unknown:
            raise ValidationError({"state": [_("Unknown state: %(states)s.")
                                             % {"states": ", ".join(sorted(unknown))}]})
        return selectors.filter_events(
            selectors.events_visible_to(request.user),
            state=states,
            starts_after=time_param(request, "starts_after"),
            starts_before=time_param(request, "starts_before"),
            bbox=bbox_param(request),
        )

    def create(self, request, *args, **kwargs):
        services.check_can_register(organiser=request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.register_event(organiser=request.user, **serializer.validated_data)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)


class EventDetailView(generics.RetrieveUpdateAPIView):
    """One demonstration; its organisers edit it while it is a draft or sent back, and amend
    it once agreed until it is live (it then goes back to ``submitted``)."""

    serializer_class = EventSerializer
    parser_classes = json_only()
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return selectors.get_event_for(self.request.user, self.kwargs["pk"])

    def update(self, request, *args, **kwargs):
        event = self.get_object()
        services.check_can_change(event, actor=request.user)
        serializer = self.get_serializer(event, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        event = services.change_registration(event, actor=request.user,
                                             **serializer.validated_data)
        return Response(self.get_serializer(event).data)


class EventTransitionView(APIView):
    """Move a demonstration along its workflow: ``{"to": STATE, "note": "..."}``."""

    @extend_schema(request=TransitionSerializer, responses=EventSerializer)
    def post(self, request, pk):
        event = selectors.get_event_for(request.user, pk)
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.transition_event(event, actor=request.user, **serializer.validated_data)
        return Response(EventSerializer(event, context={"request": request}).data)


#: What adding a member answers (201, or 200 for one already there): no name.
MEMBER_ADDED = inline_serializer("MemberAdded", {"username": serializers.CharField(),
                                                 "role": serializers.CharField()})


class EventMembersView(APIView):
    """The people coordinating one demonstration."""

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, pk):
        event = selectors.get_event_for(request.user, pk)
        return Response(selectors.members_of(event))

    @extend_schema(request=MemberSerializer, responses={201: MEMBER_ADDED, 200: MEMBER_ADDED})
    def post(self, request, pk):
        event = selectors.get_event_for(request.user, pk)
        serializer = MemberSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership, created = services.add_member(
            event, username=serializer.validated_data["username"], actor=request.user
        )
        return Response(
            {"username": membership.user.username, "role": membership.role},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )



class EventMemberView(APIView):
    """One member of a demonstration: ``DELETE`` takes them off it (204)."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk, username):
        event = selectors.get_event_for(request.user, pk)
        services.remove_member(event, username=username, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
