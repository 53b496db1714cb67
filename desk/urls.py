"""The desk's page, mounted at /desk/ (its WebSocket, ws/desk/: desk/consumers.py)."""

from django.urls import path

from desk import views

urlpatterns = [
    path("", views.desk, name="desk"),
    path("waiting/", views.waiting, name="desk-waiting"),
]
