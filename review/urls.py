"""Pages of the after-action review, mounted at the site root."""

from django.urls import path

from review import views as review_views

app_name = "review"

urlpatterns = [
    path("events/<int:pk>/review/", review_views.review_event, name="review"),
    path("events/<int:pk>/review/notes/", review_views.add_note, name="add_note"),
    path("events/<int:pk>/replay/", review_views.replay_event, name="replay"),
]
