from django.urls import path

from meded.org import roster_urls, views

app_name = "org"
urlpatterns: list = [
    path("programs/", views.programs, name="programs"),
    path("programs/<slug:slug>/", views.program, name="program"),
    path("programs/<slug:slug>/roster/", views.roster, name="roster"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person, name="person"),
    path("trainees/<int:pk>/edit/", views.trainee_edit, name="trainee_edit"),
    path("trainees/<int:pk>/leave/", views.leave_add, name="leave_add"),
    path("leave/<int:pk>/delete/", views.leave_delete, name="leave_delete"),
    path("sites/", views.sites, name="sites"),
    path("sites/<slug:code>/", views.site, name="site"),
    path("institutions/", views.institutions, name="institutions"),
    path("institutions/<slug:slug>/", views.institution, name="institution"),
    path("academic-years/", views.academic_years, name="academic_years"),
    *roster_urls.urlpatterns,
]
