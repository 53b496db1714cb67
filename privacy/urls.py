"""The page "What Parley records about your event", mounted at the site root."""

from django.urls import path

from privacy import views as privacy_views

app_name = "privacy"

urlpatterns = [
    path("events/<int:pk>/privacy/", privacy_views.event_privacy, name="event"),
]
