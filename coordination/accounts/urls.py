"""Account pages, mounted at /accounts/: Django's login (police and city land on the desk),
logout, password change and reset, and organiser sign-up."""

from django.urls import include, path

from coordination.accounts import two_factor_views, views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("settings/", views.account_settings, name="account_settings"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("two-factor/verify/", two_factor_views.verify, name="two_factor_verify"),
    path("", include("django.contrib.auth.urls")),
]
