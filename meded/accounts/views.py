"""Sign-in screens: the login page (local accounts and, when configured, the single sign-on
button), password reset by e-mail, and the page a locked-out sign-in gets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render


def sign_in_context() -> dict[str, Any]:
    return {
        "local_login": settings.MEDED_LOCAL_LOGIN,
        "oidc_enabled": settings.MEDED_OIDC_ENABLED,
        "oidc_provider_name": settings.MEDED_OIDC_PROVIDER_NAME,
    }


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **sign_in_context()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.MEDED_LOCAL_LOGIN:
            raise Http404("Local sign-in is turned off")
        return super().post(request, *args, **kwargs)


def local_accounts_only(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Password reset exists only where local sign-in is on."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.MEDED_LOCAL_LOGIN:
            raise Http404("Local sign-in is turned off")
        return view(request, *args, **kwargs)

    return wrapped


class PasswordResetView(auth_views.PasswordResetView):
    email_template_name = "registration/password_reset_email.txt"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        return {**super().get_context_data(**kwargs), "timeout_hours": hours}


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a sign-in while locked out (AXES_LOCKOUT_CALLABLE): 429 with a
    page that says why and for how long."""
    cool_off = get_cool_off(request)
    minutes = (
        max(1, round(cool_off.total_seconds() / 60)) if isinstance(cool_off, dt.timedelta) else 0
    )
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "minutes": minutes,
    }
    return render(
        request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
