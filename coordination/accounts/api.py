"""Account endpoints of the API."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.accounts import two_factor
from coordination.accounts.access import issue_token, revoke_token
from coordination.accounts.api_auth import TokenAuthentication
from coordination.accounts.lockout import locked_out_message
from coordination.accounts.security_log import log_two_factor, security_event
from coordination.log import format_timestamp


class TokenRequestSerializer(AuthTokenSerializer):
    """Username and password; ``otp`` too for accounts with two-factor authentication
    (police, city, reviewers, and organisers who turned it on)."""

    # No longer than a username can be: refused as such before any look-up or lockout count.
    username = serializers.CharField(
        label=gettext_lazy("Username"), write_only=True,
        max_length=get_user_model()._meta.get_field("username").max_length)
    otp = serializers.CharField(
        label=gettext_lazy("Two-factor code"), required=False, allow_blank=True,
        write_only=True, max_length=32,
        help_text=gettext_lazy("The authenticator app's current six-digit code, or a recovery "
                               "code. Required for police, city and reviewer accounts."),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)  # authenticate(request=…): django-axes counts failures
        user = attrs["user"]
        if two_factor.must_verify(user):
            request = self.context.get("request")
            code = attrs.get("otp") or ""
            if not code:
                raise serializers.ValidationError({"otp": [_(
                    "This account uses two-factor authentication: send the code from your "
                    "authenticator app (or a recovery code) as “otp” with your username and "
                    "password.")]})
            device = two_factor.verify_code(user, code)
            if device is None:
                log_two_factor(request, user, success=False, reason="token_wrong_code")
                raise serializers.ValidationError({"otp": [_(
                    "That two-factor code is not right, or was tried too soon after a wrong "
                    "one.")]})
            log_two_factor(request, user, success=True, reason="token")
        return attrs


class TokenView(APIView):
    """``POST {"username", "password"[, "otp"]}`` → ``{"token", "expires_at"}``, a new token
    at every login; wrong credentials → 400; too many failures from one address → 429.
    ``DELETE`` with a token revokes that token → 204."""

    renderer_classes = [JSONRenderer]
    throttle_classes = []

    def _revoking(self) -> bool:
        return getattr(getattr(self, "request", None), "method", None) == "DELETE"

    def get_authenticators(self):
        # Logging in needs no credentials (a stale token sent along must not stand in the
        # way); revoking needs exactly the token to revoke, never a session.
        return [TokenAuthentication()] if self._revoking() else []

    def get_permissions(self):
        return [IsAuthenticated()] if self._revoking() else [AllowAny()]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("Token", {
                "token": serializers.CharField(),
                "expires_at": serializers.DateTimeField(
                    help_text="When the token stops working (ISO 8601, UTC)."),
            }),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Wrong username or password; or, for an account with two-factor "
                            "authentication, a missing or wrong `otp`."),
            429: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Too many failed attempts for this username from this address: "
                            "locked for the cool-off time."),
        },
        description=("Exchange a username and password for a new API token, valid for "
                     "`PARLEY_TOKEN_TTL_SECONDS` (12 hours unless set otherwise). Every login "
                     "makes a new token, so several devices can be logged in at once. Police, "
                     "city and reviewer accounts (and organisers who turned two-factor "
                     "authentication on) must also send `otp`: their authenticator's current "
                     "code or a single-use recovery code. Logging out of the site, a new "
                     "password and deactivation revoke every token of the account."),
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # Axes flags the request it refused because of a lockout (messaging it first).
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": locked_out_message()},
                                status=status.HTTP_429_TOO_MANY_REQUESTS)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        user = serializer.validated_data["user"]
        token, expires_at = issue_token(user=user)
        security_event("token", request=request, user=user, success=True, reason="password")
        return Response({"token": token, "expires_at": format_timestamp(expires_at)})

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="The token is revoked.")},
        description=("Revoke the token this request is sent with (log this device out). The "
                     "account's other tokens go on working."),
    )
    def delete(self, request, *args, **kwargs):
        revoke_token(request.auth, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
