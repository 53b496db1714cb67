"""A value worked out once per request, for template tags asked more than once on one page
(in its ``<head>`` and in its body, say)."""

from collections.abc import Callable, Hashable
from typing import Any


def once_per_request(request, key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``'s answer, remembered on ``request`` under ``key``."""
    remembered = request.__dict__.setdefault("_parley_once", {})
    if key not in remembered:
        remembered[key] = compute()
    return remembered[key]
