from django.urls import path

from meded.schedules import views

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
    path("<slug:slug>/<int:pk>/compare/", views.compare, name="compare"),
    path("<slug:slug>/<int:pk>/schedule.csv", views.export_csv, name="export_csv"),
    path("<slug:slug>/<int:pk>/schedule.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<slug:slug>/<int:pk>/calendar.ics", views.calendar, name="calendar"),
    path("<slug:slug>/<int:pk>/requests/", views.requests_page, name="requests"),
]
