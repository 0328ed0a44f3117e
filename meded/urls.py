from django.urls import include, path

from meded.api import api
from meded.core import health
from meded.home import views as home_views

urlpatterns = [
    path("", include("meded.public.urls")),
    path("home/", home_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("meded.accounts.urls")),
    path("org/", include("meded.org.urls")),
    path("audit/", include("meded.audit.urls")),
    path("jobs/", include("meded.jobs.urls")),
    path("schedules/", include("meded.schedules.urls")),
    path("calendars/", include("meded.calendars.urls")),
    path("rosters/", include("meded.rosters.urls")),
    path("api/", api.urls),
]
