"""How API clients authenticate (token or session), in the user's own language."""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth as knox_auth
from rest_framework import exceptions

from coordination.languages import supported_language


class TokenAuthentication(knox_auth.TokenAuthentication):
    """django-rest-knox's token authentication (``Authorization: Token …``; tokens kept as
    hashes, each with its expiry, see ``coordination.accounts.access``); the API then answers in the
    user's own language setting, as pages do for a session (``UserLanguageMiddleware``)."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            own = supported_language(found[0].language)
            if own:
                translation.activate(own)
                request.LANGUAGE_CODE = own
        return found

    def authenticate_credentials(self, token: bytes):
        # Whatever knox refuses (expired, revoked, made up, or bytes that are not even
        # UTF-8, which it would let escape as a server error) is answered 401 with a message
        # that says how to get a good one.
        try:
            token.decode("utf-8")
            return super().authenticate_credentials(token)
        except (UnicodeDecodeError, exceptions.AuthenticationFailed):
            raise exceptions.AuthenticationFailed(_(
                "This token is not valid: it has expired, was revoked or never existed. "
                "Log in again for a new one.")) from None


class TokenScheme(OpenApiAuthenticationExtension):
    """The token scheme in the OpenAPI document, as DRF's token authentication had it."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None))
