"""The replay's history over HTTP (review layer)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.review import REPLAY_MESSAGE_LIMIT, replay_history
from events.selectors import get_event_for


class EventReplayView(APIView):
    """Everything the replay of a demonstration slides through, in one answer.

    City staff (any demonstration) and reviewers (concluded ones). ``zones``: every version
    of every zone with ``proposed_at`` and ``agreed_at`` (when its last party agreed; null if
    never) and the zone's ``withdrawn_at``; at a moment ``t`` a zone shows its latest version
    proposed at or before ``t``, ``withdrawn`` if withdrawn by ``t``, ``agreed`` if that
    version was agreed by ``t``, else ``proposed``. ``incidents`` by ``happened_at``.
    ``messages``: both channels, the first 5,000 in order (``truncated`` says if more).
    """

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, description=__doc__)
    def get(self, request, pk):
        event = get_event_for(request.user, pk)
        if not request.user.has_perm("coordination.review_event", event):
            raise PermissionDenied(_("The after-action review is for city staff and "
                                     "reviewers."))
        return Response(replay_history(event, message_limit=REPLAY_MESSAGE_LIMIT))
