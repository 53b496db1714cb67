"""Container health check: GET /healthz on the local Daphne, exit 0 when it answers 200.

Used by the Dockerfile's HEALTHCHECK and docker-compose.yml. Standard library only.
It sends a Host header taken from ALLOWED_HOSTS (so Django's host check passes whatever
the public host name is) and X-Forwarded-Proto: https (so that, with BEHIND_TLS_PROXY=true,
the production HTTPS redirect does not apply to the probe). Redirects are not followed.
"""

import os
import sys
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> int:
    port = os.environ.get("HEALTHCHECK_PORT") or os.environ.get("PORT") or "8000"
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            body = response.read(500).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        hint = ""
        if 300 <= error.code < 400:
            hint = (" (redirected to HTTPS: set BEHIND_TLS_PROXY=true behind a TLS proxy, "
                    "or SECURE_SSL_REDIRECT=false)")
        print(f"unhealthy: HTTP {error.code}{hint}: {error.read(300)!r}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
