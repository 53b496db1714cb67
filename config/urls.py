"""Parley's URLs: pages, the REST API under /api/v1/, the health check and the admin."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from config import views
from config.asyncapi import AsyncAPIView
from coordination.accounts import api as accounts_api
from coordination.accounts import views as accounts_views
from events import api as events_api
from messaging import api as messaging_api
from messaging import key_moments_api
from push import api as push_api
from review import api as review_api
from review import log_api
from zones import api as zones_api
from zones import city_map_api as map_api
from zones import conflicts_api, incidents_api

api_v1 = [
    path("auth/token/", accounts_api.TokenView.as_view(), name="token"),
    path("events/", events_api.EventListView.as_view(), name="event-list"),
    path("events/<int:pk>/", events_api.EventDetailView.as_view(), name="event-detail"),
    path("events/<int:pk>/transitions/", events_api.EventTransitionView.as_view(),
         name="event-transitions"),
    path("events/<int:pk>/members/", events_api.EventMembersView.as_view(),
         name="event-members"),
    path("events/<int:pk>/members/<str:username>/", events_api.EventMemberView.as_view(),
         name="event-member"),
    path("events/<int:pk>/log/", log_api.EventLogView.as_view(), name="event-log"),
    path("events/<int:pk>/log/head/", log_api.EventLogHeadView.as_view(), name="event-log-head"),
    re_path(r"^events/(?P<pk>\d+)/log/verify/?$", log_api.EventLogVerifyView.as_view(),
            name="event-log-verify"),
    re_path(r"^events/(?P<pk>\d+)/log/export/?$", log_api.EventLogExportView.as_view(),
            name="event-log-export"),
    path("events/<int:pk>/replay/", review_api.EventReplayView.as_view(), name="event-replay"),
    path("events/<int:pk>/zones/", zones_api.EventZonesView.as_view(), name="event-zones"),
    path("events/<int:pk>/zones.geojson", zones_api.EventZonesDownloadView.as_view(),
         name="event-zones-download"),
    path("events/<int:pk>/conflicts/", conflicts_api.EventConflictsView.as_view(),
         name="event-conflicts"),
    path("events/<int:pk>/incidents/", incidents_api.EventIncidentsView.as_view(),
         name="event-incidents"),
    path("city-map/", map_api.CityMapView.as_view(), name="city-map"),
    path("zones/", zones_api.ZoneListView.as_view(), name="zone-list"),
    path("zones.geojson", zones_api.ZonesDownloadView.as_view(), name="zones-download"),
    path("zones/<int:pk>/", zones_api.ZoneDetailView.as_view(), name="zone-detail"),
    path("zones/<int:pk>/versions/", zones_api.ZoneVersionsView.as_view(),
         name="zone-versions"),
    path("zones/<int:pk>/agreements/", zones_api.ZoneAgreementsView.as_view(),
         name="zone-agreements"),
    path("zones/<int:pk>/withdraw/", zones_api.ZoneWithdrawView.as_view(),
         name="zone-withdraw"),
    path("events/<int:pk>/messages/", messaging_api.EventMessagesView.as_view(),
         name="event-messages"),
    path("messages/<int:pk>/acks/", messaging_api.MessageAcksView.as_view(), name="message-acks"),
    path("messages/<int:pk>/key-moment/", key_moments_api.MessageKeyMomentView.as_view(),
         name="message-key-moment"),
    path("instructions/", messaging_api.StandardInstructionsView.as_view(),
         name="standard-instructions"),
    path("push/public-key/", push_api.PublicKeyView.as_view(), name="push-public-key"),
    path("push-subscriptions/", push_api.PushSubscriptionsView.as_view(),
         name="push-subscriptions"),
    path("push-subscriptions/<int:pk>/", push_api.PushSubscriptionView.as_view(),
         name="push-subscription"),
    path("push/acks/", push_api.PushAcksView.as_view(), name="push-acks"),
    path("ws-tickets/", messaging_api.TicketView.as_view(), name="ws-tickets"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The WebSockets' AsyncAPI 3.0 document, served like the OpenAPI schema above.
    path("asyncapi.json", AsyncAPIView.as_view(), name="asyncapi"),
    # Redoc writes its styles into <style> elements as it renders, and builds its search
    # index in a blob: worker: allowed on this page only (docs/security.md, "Hardening").
    path("docs/", csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
        SpectacularRedocView.as_view(url_name="api:schema")), name="docs"),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The worker fetches the map tiles a person looks at, to keep them (docs/phones.md): its
    # connect-src names the tile server; the pages' stays 'self'.
    path("sw.js", csp_update({"connect-src": settings.MAP_TILE_SOURCES})(views.service_worker),
         name="service-worker"),
    path("manifest.webmanifest", views.web_manifest, name="web-manifest"),
    path("offline/", views.offline_page, name="offline"),
    path("api/v1/", include((api_v1, "api"))),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    # Under /i18n/ like set_language: reachable before the second factor is given (the 2FA
    # pages need their words too).
    path("i18n/catalog/<str:language>.js", views.javascript_catalog, name="javascript-catalog"),
    path("accounts/", include("coordination.accounts.urls")),
    path("desk/", include("desk.urls")),
    path("public/", include("public.urls")),
    path("", include("review.urls")),
    path("", include("privacy.urls")),
    path("", include("messaging.urls")),
    path("", include("zones.urls")),
    path("", include("events.urls")),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
