from django.urls import path

from meded.audit import views

app_name = "audit"
urlpatterns: list = [
    path("", views.log, name="log"),
]
