"""Login throttling in front of the password check (django-axes)."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes's lockout check, for logins that come from a request (the login page, the admin,
    the token endpoint: all pass one). ``authenticate()`` without a request — a management
    command, the test client's ``login()`` — has no address to throttle, so it is left to
    the next backend instead of failing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
