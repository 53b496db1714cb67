"""ASGI entry point: HTTP to Django, WebSockets to the live channel and the desk.

Browsers' handshakes must come from this site (an ``AllowedHostsOriginValidator`` that also
lets Origin-less clients through) and carry their session (``AuthMiddlewareStack``);
clients without an Origin (apps, scripts) must bring a single-use ticket instead.
See ``messaging/auth.py``.
"""

import os
import sys

from django.core.asgi import get_asgi_application

# The event loop shares the interpreter with the database threads: hand the GIL over more
# often (default 5 ms) so that relaying frames is not held up behind ORM work.
sys.setswitchinterval(float(os.environ.get("PARLEY_SWITCH_INTERVAL", "0.001")))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.observability import ConnectionContext  # noqa: E402
from config.websocket_server import (  # noqa: E402
    close_failed_connections_with_a_close_frame,
    leave_request_bodies_to_django,
)
from desk.consumers import websocket_urlpatterns as desk_urlpatterns  # noqa: E402
from messaging.auth import websocket_security  # noqa: E402
from messaging.routing import websocket_urlpatterns  # noqa: E402

# A frame over Daphne's --websocket-max-message-size (1 MiB) closes with 1009, not a bare drop.
close_failed_connections_with_a_close_frame()
# A multipart body Twisted cannot parse gets Parley's JSON 400, not Twisted's bare one.
leave_request_bodies_to_django()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Outermost: the connection's log id and the open-connections gauge cover it all.
        "websocket": ConnectionContext(
            websocket_security(URLRouter(websocket_urlpatterns + desk_urlpatterns))
        ),
    }
)
