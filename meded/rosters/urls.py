from django.urls import path

from meded.rosters import views

app_name = "rosters"
urlpatterns: list = [
    path("", views.index, name="index"),
    path("on-call/", views.on_call, name="on_call"),
    path("me/", views.my_shifts, name="mine"),
    path("jobs/<uuid:pk>/", views.job, name="job"),
    path("jobs/<uuid:pk>/progress/", views.job_progress, name="job_progress"),
    path("<slug:slug>/", views.program, name="program"),
    path("<slug:slug>/settings/", views.settings_view, name="settings"),
    path("<slug:slug>/templates/", views.templates, name="templates"),
    path("<slug:slug>/swaps/", views.swaps, name="swaps"),
    path("<slug:slug>/swaps/options/", views.swap_options, name="swap_options"),
    path("<slug:slug>/swaps/<int:swap_id>/", views.swap_action, name="swap"),
    path("<slug:slug>/meals/", views.meals, name="meals"),
    path("<slug:slug>/meals.csv", views.meals_csv, name="meals_csv"),
    path("<slug:slug>/<int:pk>/<int:block>/", views.block, name="block"),
    path("<slug:slug>/<int:pk>/<int:block>/generate/", views.generate, name="generate"),
    path("<slug:slug>/<int:pk>/<int:block>/publish/", views.publish, name="publish"),
    path("<slug:slug>/<int:pk>/<int:block>/shift/", views.shift_edit, name="shift"),
]
