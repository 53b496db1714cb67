"""Pages of the map, mounted at the site root."""

from django.urls import path

from zones import views

app_name = "zones"

urlpatterns = [
    path("map/", views.city_map, name="city_map"),
    path("events/<int:pk>/briefing.pdf", views.briefing_pdf, name="briefing"),
]
