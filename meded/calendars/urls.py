from django.urls import path

from meded.calendars import views

app_name = "calendars"
urlpatterns: list = [
    path("", views.mine, name="mine"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/link/", views.issue, name="issue"),
    path("people/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("feed/<slug:token>.ics", views.feed, name="feed"),
]
