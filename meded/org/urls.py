from django.urls import path

from meded.org import roster_urls

app_name = "org"
urlpatterns: list = [
    *roster_urls.urlpatterns,
]
