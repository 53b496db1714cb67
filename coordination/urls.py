"""Account pages, mounted at /accounts/: Django's login, logout, password change and reset,
and organiser sign-up."""

from django.urls import include, path

from coordination import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("", include("django.contrib.auth.urls")),
]
