"""Web Push over the REST API: the server's public key, a browser's subscription, and the
acknowledgement a notification's button gives."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core import signing
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from events.models import Event, EventMembership
from messaging.frames import acked_frame
from messaging.models import Message
from messaging.services import acknowledge_message
from push import selectors, services
from push.endpoints import UnsafeEndpoint, check_endpoint
from push.keys import b64url_decode, public_key
from push.models import PushSubscription
from push.notifications import ACK_SALT


class PushOff(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "push_off"

    def __init__(self) -> None:
        super().__init__(_("Notifications are not set up on this server."))


#: How the two operations that need a key document its absence.
PUSH_OFF = OpenApiResponse(description="Web Push is off: no VAPID key is configured.")


class PublicKeyView(APIView):
    """The key browsers subscribe with (VAPID application server key: the uncompressed P-256
    point, base64url). ``503`` while push is off (no key configured)."""

    @extend_schema(responses={200: inline_serializer("PushPublicKey", {
        "key": serializers.CharField()}), 503: PUSH_OFF})
    def get(self, request):
        key = public_key()
        if key is None:
            raise PushOff
        return Response({"key": key})


class KeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=100, help_text="The browser's P-256 public key "
                                   "(uncompressed point, base64url).")
    auth = serializers.CharField(max_length=50, help_text="The 16-byte authentication "
                                 "secret, base64url.")


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    endpoint = serializers.URLField(max_length=1000)
    keys = KeysSerializer(write_only=True)
    event = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                     max_value=2**31 - 1, help_text="Only this "
                                     "demonstration's notifications (every one of yours when "
                                     "left out).")
    created_at = serializers.DateTimeField(read_only=True)

    def validate_endpoint(self, value: str) -> str:
        try:
            check_endpoint(value)
        except UnsafeEndpoint as exc:
            raise ValidationError(str(exc)) from None
        return value

    def validate_keys(self, value: dict) -> dict:
        try:
            point = b64url_decode(value["p256dh"])
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            if len(point) != 65:
                raise ValueError
        except ValueError:
            raise ValidationError(_("The browser's public key is not a P-256 key.")) from None
        try:
            secret = b64url_decode(value["auth"])
        except ValueError:
            secret = b""
        if len(secret) != 16:
            raise ValidationError(_("The authentication secret is 16 bytes.")) from None
        return value

    def validate_event(self, value: int | None) -> Event | None:
        if value is None:
            return None
        user = self.context["request"].user
        event = Event.objects.filter(pk=value).first()
        if event is None or not EventMembership.objects.filter(event=event, user=user).exists():
            raise ValidationError(_("You are not a member of this demonstration."))
        return event

    def to_representation(self, instance: PushSubscription) -> dict:
        return {"id": instance.pk, "endpoint": instance.endpoint, "event": instance.event_id,
                "created_at": serializers.DateTimeField().to_representation(
                    instance.created_at)}


class PushSubscriptionsView(APIView):
    """Turn on notifications on this browser (or update its subscription: posted again, the
    same endpoint is updated, never duplicated — ``200`` then, ``201`` when new)."""

    @extend_schema(request=SubscriptionSerializer,
                   responses={201: SubscriptionSerializer, 200: SubscriptionSerializer,
                              503: PUSH_OFF})
    def post(self, request):
        if public_key() is None:
            raise PushOff
        serializer = SubscriptionSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        token_key = getattr(request.auth, "token_key", "") or ""
        session = getattr(request, "session", None)
        session_key = "" if token_key else (getattr(session, "session_key", "") or "")
        try:
            subscription, created = services.subscribe(
                user=request.user, endpoint=data["endpoint"], p256dh=data["keys"]["p256dh"],
                auth=data["keys"]["auth"], event=data.get("event"), session_key=session_key,
                token_key=token_key)
        except services.EndpointTaken:
            raise ValidationError({"endpoint": [
                _("This push address belongs to another subscription.")]}) from None
        except services.TooManySubscriptions:
            raise ValidationError({"non_field_errors": [
                _("Notifications are on in too many places for you: turn some off first.")]
            }) from None
        return Response(SubscriptionSerializer(subscription).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PushSubscriptionView(APIView):
    """Turn notifications off: forget one of your own subscriptions."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk):
        subscription = selectors.own_subscription(request.user, pk)
        if subscription is None:
            raise Http404(_("No such subscription."))
        services.unsubscribe(subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushAckSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500, help_text="The notification's "
                                  "``ack_token``.")


class PushAcksView(APIView):
    """Acknowledge an alert or instruction from its notification's button. The service
    worker has no session or CSRF token to hand: the token the encrypted payload carries is
    the credential — signed, for one message and one subscription, and void once that
    subscription is gone (turned off, or its login ended)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=PushAckSerializer,
                   responses={201: inline_serializer("PushAck", {
                       "type": serializers.CharField(), "message_id": serializers.IntegerField(),
                   }), 200: inline_serializer("PushAckAgain", {
                       "type": serializers.CharField(), "message_id": serializers.IntegerField(),
                   })})
    def post(self, request):
        serializer = PushAckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            claim = signing.loads(serializer.validated_data["token"], salt=ACK_SALT,
                                  max_age=settings.PARLEY_PUSH_TTL_SECONDS)
            subscription_id, message_id = int(claim["s"]), int(claim["m"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise ValidationError({"token": [_("This acknowledgement has expired.")]}) from None
        subscription = selectors.live_subscription(subscription_id)
        message = (Message.objects.select_related("channel__event", "sender")
                   .filter(pk=message_id).first())
        if subscription is None or message is None:
            raise ValidationError({"token": [_("This acknowledgement has expired.")]})
        ack, created = acknowledge_message(message, user=subscription.user)
        return Response(acked_frame(ack),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
