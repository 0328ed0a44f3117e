from django.urls import path

from meded.public import views

app_name = "public"
urlpatterns = [
    path("", views.facts, name="facts"),
    path("programs/", views.programs, name="programs"),
    path("programs/<slug:slug>/", views.program, name="program"),
]
