"""Roster import/export URLs (part of the `org` namespace; included by meded/org/urls.py)."""

from django.urls import path

from meded.org import roster_views

urlpatterns: list = [
    path("programs/<slug:slug>/roster/import/", roster_views.roster_import, name="roster_import"),
    path(
        "programs/<slug:slug>/roster/export.csv",
        roster_views.roster_export_csv,
        name="roster_export_csv",
    ),
    path(
        "programs/<slug:slug>/roster/export.xlsx",
        roster_views.roster_export_xlsx,
        name="roster_export_xlsx",
    ),
    path("roster-template.csv", roster_views.roster_template_csv, name="roster_template_csv"),
    path("roster-template.xlsx", roster_views.roster_template_xlsx, name="roster_template_xlsx"),
]
