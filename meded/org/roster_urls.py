"""Roster import/export URLs (part of the `org` namespace; included by meded/org/urls.py)."""

from django.urls import path

urlpatterns: list = []
