"""Account pages, mounted at /accounts/: Django's login (police and city land on the desk),
logout, password change and reset, and organiser sign-up."""

from django.urls import include, path

from coordination import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("", include("django.contrib.auth.urls")),
]
