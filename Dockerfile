# Parley production image: Daphne serving config.asgi:application on port 8000.
# Build: docker build -t parley .      Run: see docker-compose.yml and docs/deployment.md
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# GeoDjango's system libraries (GDAL pulls in GEOS and PROJ); SpatiaLite so that the
# embedded mode also works in the image; gettext for compilemessages; DejaVu so that the
# briefing sheet (PDF) prints names in any alphabet.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        binutils libgdal32 libsqlite3-mod-spatialite gettext fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that code changes do not invalidate this layer.
# requirements.lock is the full pinned set (it includes the test tools; they are inert here).
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# Static files for whitenoise. Settings refuse to start with DEBUG off and no SECRET_KEY /
# ALLOWED_HOSTS, so give this build step throw-away values (they are not kept in the image).
RUN DEBUG=false SECRET_KEY=build-only-throwaway-key-0123456789abcdefghijklmnop ALLOWED_HOSTS=localhost \
        DATABASE_URL=spatialite:////tmp/build.sqlite3 \
        python manage.py collectstatic --noinput \
    && rm -f /tmp/build.sqlite3

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin parley
USER parley

ENV DEBUG=false PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=6s --start-period=20s --retries=3 \
    CMD ["python", "scripts/healthcheck.py"]

# --proxy-headers: take the client address from X-Forwarded-For set by the reverse proxy.
CMD ["sh", "-c", "exec daphne -b 0.0.0.0 -p \"${PORT}\" --proxy-headers --websocket-max-message-size 1048576 config.asgi:application"]
