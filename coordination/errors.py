"""Domain errors that pages, the API and the live channel all translate the same way."""

from django.core.exceptions import PermissionDenied


class Conflict(Exception):
    """The action does not fit the current state of the thing (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateLimited(Exception):
    """Too many actions in too short a time (HTTP 429; ``rate_limited`` on the live channel)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


__all__ = ["Conflict", "PermissionDenied", "RateLimited"]
