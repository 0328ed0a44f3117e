"""Single sign-on through the hospital's OpenID Connect identity provider (mozilla-django-oidc),
configured entirely from the environment (MEDED_OIDC_*, see README.md) and off unless
MEDED_OIDC_RP_CLIENT_ID is set.

A signed-in identity becomes a meded login only through a Person: the person whose
external_id equals the configured claim (MEDED_OIDC_PERSON_CLAIM), else the person whose
e-mail is the identity's verified e-mail. That person's login is used, or created and linked
the first time (meded.accounts.actions.do_link_sso_login, audited). An identity that matches
no person, or whose login is deactivated, is refused with a page that says so; no account is
ever created without a person.

Endpoints come from settings (MEDED_OIDC_OP_*_ENDPOINT) or from the provider's discovery
document (MEDED_OIDC_DISCOVERY_URL), fetched when a sign-in first needs it and kept for the
life of the process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from meded.org.models import Person

log = logging.getLogger(__name__)

# mozilla-django-oidc's endpoint settings and their names in a discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}

_discovery: dict[str, dict[str, Any]] = {}
_discovery_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The identity provider's configuration could not be read."""


def discovery_document(url: str) -> dict[str, Any]:
    """The provider's discovery document, fetched once per process (a failure is not kept,
    so the next sign-in tries again)."""
    with _discovery_lock:
        if url not in _discovery:
            try:
                response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
                response.raise_for_status()
                document = response.json()
            except (requests.RequestException, ValueError) as e:
                raise ProviderUnavailable(f"{e.__class__.__name__}: {e}") from e
            if not isinstance(document, dict):
                raise ProviderUnavailable("the discovery document is not a JSON object")
            _discovery[url] = document
        return _discovery[url]


def oidc_setting(attr: str, *default: Any) -> Any:
    """A mozilla-django-oidc setting; an unset endpoint is taken from the discovery document."""
    value = getattr(settings, attr, None)
    if value:
        return value
    url = getattr(settings, "MEDED_OIDC_DISCOVERY_URL", "")
    if attr in DISCOVERED and url:
        found = discovery_document(url).get(DISCOVERED[attr])
        if found:
            return found
    return import_from_settings(attr, *default)


def oidc_issuer() -> str:
    """The issuer ID tokens must name: MEDED_OIDC_ISSUER, else the discovery document's."""
    issuer = getattr(settings, "MEDED_OIDC_ISSUER", "")
    if issuer:
        return str(issuer)
    url = getattr(settings, "MEDED_OIDC_DISCOVERY_URL", "")
    return str(discovery_document(url).get("issuer") or "") if url else ""


def _refused(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    return render(
        request,
        "registration/sso_refused.html",
        {"reason": reason, "provider": settings.MEDED_OIDC_PROVIDER_NAME},
        status=status,
    )


def _require_enabled() -> None:
    if not settings.MEDED_OIDC_ENABLED:
        raise Http404("Single sign-on is not configured")


UNAVAILABLE = "meded cannot reach the identity provider just now. Try again in a few minutes."


class AuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the identity provider (with state, nonce and PKCE)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)  # endpoints: in get

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_enabled()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as e:
            log.warning("OIDC discovery failed: %s", e)
            return _refused(request, UNAVAILABLE, status=503)
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: signs the matched person's login in, or
    says plainly why not."""

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_enabled()
        try:
            return super().get(request)
        except ProviderUnavailable as e:
            log.warning("OIDC discovery failed: %s", e)
            return _refused(request, UNAVAILABLE, status=503)

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, "meded_sso_refusal", None)
        if reason is None:
            error = self.request.GET.get("error")
            reason = (
                f"The identity provider did not sign you in ({error[:100]})."
                if error
                else "The sign-in could not be completed (it may have expired). Try again."
            )
        return _refused(self.request, reason)


def _claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    return str(value).strip() if value not in (None, "") else ""


def person_for_claims(claims: Mapping[str, Any]) -> tuple[Person | None, str]:
    """The person an identity is, and how it was matched; (None, why not) when no person is."""
    claim = settings.MEDED_OIDC_PERSON_CLAIM
    if claim:
        external_id = _claim(claims, claim)
        if external_id:
            person = Person.objects.filter(external_id=external_id).first()
            if person is not None:
                return person, f"claim {claim}"
    email = _claim(claims, "email")
    if email:
        verified = claims.get("email_verified") in (True, "true", "True", "1", 1)
        if verified or not settings.MEDED_OIDC_REQUIRE_VERIFIED_EMAIL:
            person = Person.objects.filter(email__iexact=email).first()
            if person is not None:
                return person, "verified e-mail" if verified else "e-mail"
        else:
            return None, (
                "The identity provider did not confirm that your e-mail address is verified, "
                "and no person in meded matches your account otherwise."
            )
    return None, (
        "Your hospital account is not linked to anyone in meded: no person record has "
        "your id or e-mail address. Ask your program's coordinator or the GME office to "
        "add you (with this e-mail address) before you sign in."
    )


class PersonOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, matching identities to people instead of creating
    users from e-mail addresses."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Endpoints are read when a sign-in needs them (authenticate), not for every request
        # that loads a session's user (get_user), so a provider outage only affects sign-ins.
        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    def _configure(self) -> None:
        self.OIDC_OP_TOKEN_ENDPOINT = self.get_settings("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = self.get_settings("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = self.get_settings("OIDC_OP_JWKS_ENDPOINT", None)
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        self.OIDC_RP_CLIENT_SECRET = self.get_settings("OIDC_RP_CLIENT_SECRET")
        self.OIDC_RP_SIGN_ALGO = self.get_settings("OIDC_RP_SIGN_ALGO", "HS256")
        self.OIDC_RP_IDP_SIGN_KEY = self.get_settings("OIDC_RP_IDP_SIGN_KEY", None)
        if self.OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")) and not (
            self.OIDC_RP_IDP_SIGN_KEY or self.OIDC_OP_JWKS_ENDPOINT
        ):
            raise ImproperlyConfigured(
                f"{self.OIDC_RP_SIGN_ALGO} needs MEDED_OIDC_OP_JWKS_ENDPOINT or a discovery URL"
            )

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not settings.MEDED_OIDC_ENABLED:
            return None
        if not request.GET.get("code") or not request.GET.get("state"):
            return None
        self._configure()
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        """The signature, expiry and nonce (mozilla-django-oidc), and also what it leaves out:
        the token is meant for meded (aud) and comes from the configured provider (iss)."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is not meant for this client (aud).")
        issuer = oidc_issuer()
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token comes from another issuer (iss).")
        return payload

    def verify_claims(self, claims: Mapping[str, Any]) -> bool:
        return bool(claims)

    def get_or_create_user(self, access_token: str, id_token: str, payload: Any) -> Any:
        from meded.accounts.actions import SignInRefused, do_link_sso_login

        claims = self.get_userinfo(access_token, id_token, payload)
        if isinstance(claims, Mapping) and isinstance(payload, Mapping):
            if claims.get("sub") and claims.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("The userinfo is about another subject (sub).")
            claims = {**payload, **claims}  # the ID token's claims, the userinfo's on top
        person, how = person_for_claims(claims)
        if person is None:
            log.info("SSO sign-in refused: %s", how)
            self.request.meded_sso_refusal = how
            return None
        try:
            return do_link_sso_login(person, claims, matched_by=how)
        except SignInRefused as e:
            self.request.meded_sso_refusal = str(e)
            return None
