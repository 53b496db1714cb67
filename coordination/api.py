"""Account endpoints of the API."""

from rest_framework.authtoken.views import ObtainAuthToken


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token"}``; wrong credentials → 400."""

    # The browsable-API renderers of the parent are not wanted; JSON only.
    renderer_classes = ObtainAuthToken.renderer_classes[-1:]
