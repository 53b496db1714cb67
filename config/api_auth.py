"""How API clients authenticate (token or session), in the user's own language."""

from django.utils import translation
from rest_framework import authentication

from coordination.languages import supported_language


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication; the API then answers in the user's own language setting,
    as pages do for a session (``UserLanguageMiddleware``)."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            own = supported_language(found[0].language)
            if own:
                translation.activate(own)
                request.LANGUAGE_CODE = own
        return found
