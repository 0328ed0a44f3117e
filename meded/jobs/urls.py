from django.urls import path

from meded.jobs import views

app_name = "jobs"
urlpatterns: list = [
    path("", views.index, name="index"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/progress/", views.progress, name="progress"),
    path("<uuid:pk>/cancel/", views.cancel, name="cancel"),
    path("<uuid:pk>/stop/", views.stop_early, name="stop"),
]
