"""Pages of demonstrations, mounted at the site root."""

from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("events/new/", views.register_event, name="register"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/<int:pk>/edit/", views.edit_event, name="edit"),
    path("events/<int:pk>/transition/", views.transition_event, name="transition"),
    path("events/<int:pk>/members/", views.add_member, name="add_member"),
    path("events/<int:pk>/members/candidates/", views.member_candidates,
         name="member_candidates"),
    path("events/<int:pk>/members/<str:username>/remove/", views.remove_member,
         name="remove_member"),
]
