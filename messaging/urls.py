"""The city's page of standard instructions, mounted at the site root."""

from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("instructions/", views.instruction_list, name="instructions"),
    path("instructions/new/", views.instruction_form, name="instruction_add"),
    path("instructions/<int:pk>/", views.instruction_form, name="instruction_edit"),
]
