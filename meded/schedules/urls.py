from django.urls import path

from meded.schedules import setup_views, views

app_name = "schedules"
urlpatterns: list = [
    path("jobs/<uuid:pk>/", views.job, name="job"),
    path("jobs/<uuid:pk>/progress/", views.job_progress, name="job_progress"),
    path("<slug:slug>/", views.program, name="program"),
    path("<slug:slug>/<int:pk>/", views.year, name="year"),
    path("<slug:slug>/<int:pk>/coverage/", views.coverage, name="coverage"),
    path("<slug:slug>/<int:pk>/rules/", views.rules, name="rules"),
    path("<slug:slug>/<int:pk>/cell/", views.cell, name="cell"),
    path("<slug:slug>/<int:pk>/solve/", views.solve, name="solve"),
    path("<slug:slug>/<int:pk>/publish/", views.publish, name="publish"),
    path("<slug:slug>/<int:pk>/copy/", views.copy, name="copy"),
    path("<slug:slug>/<int:pk>/repair/", views.repair, name="repair"),
    path("<slug:slug>/<int:pk>/alternatives/", views.alternatives, name="alternatives"),
    path("<slug:slug>/<int:pk>/compare/", views.compare, name="compare"),
    path("<slug:slug>/<int:pk>/schedule.csv", views.export_csv, name="export_csv"),
    path("<slug:slug>/<int:pk>/schedule.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<slug:slug>/<int:pk>/schedule.pdf", views.export_pdf, name="export_pdf"),
    path("<slug:slug>/<int:pk>/calendar.ics", views.calendar, name="calendar"),
    path("<slug:slug>/<int:pk>/requests/", views.requests_page, name="requests"),
    path("<slug:slug>/<int:pk>/setup/", setup_views.setup, name="setup"),
    path(
        "<slug:slug>/<int:pk>/setup/rotations/new/",
        setup_views.rotation_new,
        name="setup_rotation_new",
    ),
    path(
        "<slug:slug>/<int:pk>/setup/rotations/<int:rotation_id>/",
        setup_views.rotation_edit,
        name="setup_rotation",
    ),
    path(
        "<slug:slug>/<int:pk>/setup/rotations/<int:rotation_id>/delete/",
        setup_views.rotation_delete,
        name="setup_rotation_delete",
    ),
    path(
        "<slug:slug>/<int:pk>/setup/rules/settings/",
        setup_views.rule_settings,
        name="setup_rule_settings",
    ),
    path("<slug:slug>/<int:pk>/setup/rules/json/", setup_views.rules_json, name="setup_rules_json"),
    path(
        "<slug:slug>/<int:pk>/setup/rules/<slug:kind>/new/",
        setup_views.rule_new,
        name="setup_rule_new",
    ),
    path(
        "<slug:slug>/<int:pk>/setup/rules/<slug:kind>/<str:rule_id>/",
        setup_views.rule_edit,
        name="setup_rule",
    ),
    path(
        "<slug:slug>/<int:pk>/setup/rules/<slug:kind>/<str:rule_id>/delete/",
        setup_views.rule_delete,
        name="setup_rule_delete",
    ),
]
