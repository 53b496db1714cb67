"""The public page and its feeds, under ``/public/`` (no login; docs/public.md)."""

from django.urls import path

from public import feeds as public_feeds
from public import views as public_views

app_name = "public"

urlpatterns = [
    path("", public_views.public_page, name="page"),
    path("events.geojson", public_views.public_geojson, name="geojson"),
    path("notices.json", public_views.public_notices, name="notices"),
    path("events.ics", public_feeds.public_calendar, name="ics"),
    path("feed.atom", public_feeds.public_atom, name="atom"),
]
