from django.urls import path

from meded.calendars import views

app_name = "calendars"
urlpatterns: list = [
    path("", views.mine, name="mine"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/reset/", views.reset, name="reset"),
    path("feed/<slug:token>.ics", views.feed, name="feed"),
]
