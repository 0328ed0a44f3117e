"""Single sign-on through OpenID Connect, against a fake identity provider: real signed ID
tokens (RS256, a JWKS), the token and userinfo endpoints answered in-process. An identity is
matched to a person by the configured claim, else by verified e-mail; the person's login is
used or created and linked (audited); an identity matching no person is refused with a clear
page and nothing is created."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from django.test import Client

from meded.accounts import oidc
from meded.audit.models import AuditEntry
from meded.org.models import Person

pytestmark = pytest.mark.django_db

IDP = "https://idp.example.org"
CLIENT_ID = "meded-test"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Response:
    def __init__(self, data: Any, status: int = 200) -> None:
        self.data, self.status_code = data, status
        self.headers = {"content-type": "application/json"}
        self.url, self.text = "", str(data)

    def json(self) -> Any:
        return self.data

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise oidc.requests.HTTPError(f"{self.status_code}")


class FakeProvider:
    """The identity provider's back channel: the token endpoint, the JWKS and userinfo."""

    def __init__(self) -> None:
        self.claims: dict[str, Any] = {}
        self.id_claims: dict[str, Any] = {}
        self.nonce = ""
        self.token_requests: list[dict[str, Any]] = []
        self.discovery_fetches = 0

    def id_token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": IDP,
            "aud": CLIENT_ID,
            "sub": self.claims.get("sub", "subject-1"),
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce,
            **self.id_claims,
        }
        return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "key-1"})

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Response:
        assert url == f"{IDP}/token"
        self.token_requests.append(dict(data or {}))
        return Response(
            {"id_token": self.id_token(), "access_token": "at-1", "token_type": "Bearer"}
        )

    def get(self, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
        if url == f"{IDP}/jwks":
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
            return Response({"keys": [{**jwk, "kid": "key-1", "alg": "RS256", "use": "sig"}]})
        if url == f"{IDP}/userinfo":
            assert headers == {"Authorization": "Bearer at-1"}
            return Response(self.claims)
        if url == f"{IDP}/.well-known/openid-configuration":
            self.discovery_fetches += 1
            return Response(
                {
                    "issuer": IDP,
                    "authorization_endpoint": f"{IDP}/authorize",
                    "token_endpoint": f"{IDP}/token",
                    "userinfo_endpoint": f"{IDP}/userinfo",
                    "jwks_uri": f"{IDP}/jwks",
                }
            )
        return Response({}, status=404)


@pytest.fixture
def idp(settings, monkeypatch) -> FakeProvider:
    provider = FakeProvider()
    monkeypatch.setattr("mozilla_django_oidc.auth.requests", provider)
    monkeypatch.setattr(oidc.requests, "get", provider.get)
    monkeypatch.setattr(oidc, "_discovery", {})
    settings.MEDED_OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "client-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{IDP}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{IDP}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{IDP}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{IDP}/jwks"
    settings.MEDED_OIDC_ISSUER = IDP
    settings.MEDED_OIDC_PROVIDER_NAME = "Example Health"
    settings.MEDED_OIDC_PERSON_CLAIM = "employee_id"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "meded.accounts.oidc.PersonOIDCBackend",
    ]
    return provider


def sign_in(client: Client, idp: FakeProvider, claims: dict[str, Any], next_url: str = "/home/"):
    """The browser's round trip: to the provider and back to the callback."""
    r = client.get(f"/accounts/oidc/authenticate/?next={next_url}")
    assert r.status_code == 302
    to = urlparse(r["Location"])
    assert f"{to.scheme}://{to.netloc}{to.path}" == f"{IDP}/authorize"
    query = {k: v[0] for k, v in parse_qs(to.query).items()}
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert query["redirect_uri"] == "http://testserver/accounts/oidc/callback/"
    idp.nonce = query["nonce"]
    idp.claims = claims
    return client.get("/accounts/oidc/callback/", {"code": "code-1", "state": query["state"]})


def _person_without_login() -> Person:
    person = Person.objects.filter(user__isnull=True, email__isnull=False).first()
    assert person is not None
    return person


def test_the_login_page_offers_the_identity_provider_when_configured(idp):
    body = Client().get("/accounts/login/?next=/rosters/").content.decode()
    assert 'id="sso-sign-in"' in body and "Sign in with Example Health" in body
    assert 'href="/accounts/oidc/authenticate/?next=/rosters/"' in body
    assert 'id="local-sign-in"' in body  # local accounts stay


def test_without_configuration_the_sso_urls_answer_404():
    client = Client()
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_a_known_person_signs_in_by_verified_e_mail_and_gets_a_linked_login(idp):
    person = _person_without_login()
    client = Client()
    r = sign_in(
        client, idp, {"sub": "s-1", "email": str(person.email).upper(), "email_verified": True}
    )
    assert r.status_code == 302 and r["Location"] == "/home/"
    person.refresh_from_db()
    user = person.user
    assert user is not None and user.email == person.email and not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk
    # the token request carried the code, the client's secret and the PKCE verifier
    [token_request] = idp.token_requests
    assert token_request["code"] == "code-1" and token_request["client_secret"] == "client-secret"
    assert len(token_request["code_verifier"]) >= 43
    entry = AuditEntry.objects.filter(object_type="org.person", object_id=str(person.pk)).latest(
        "at"
    )
    assert entry.actor_name == user.username and entry.changes == {"user": [None, user.username]}
    assert "verified e-mail" in entry.note
    # The second time, the same login; nothing new is created.
    users = User.objects.count()
    again = sign_in(Client(), idp, {"sub": "s-1", "email": person.email, "email_verified": True})
    assert again.status_code == 302 and User.objects.count() == users


def test_the_configured_claim_matches_the_persons_external_id_first(idp, users):
    resident = Person.objects.get(user=users["resident"])
    Person.objects.filter(pk=resident.pk).update(external_id="E-1234")
    client = Client()
    # the e-mail is someone else's, and not verified: the claim decides
    r = sign_in(client, idp, {"sub": "s-2", "employee_id": "E-1234", "email": "x@example.org"})
    assert r.status_code == 302
    assert int(client.session["_auth_user_id"]) == users["resident"].pk


def test_an_identity_that_matches_no_person_is_refused_and_nothing_is_created(idp):
    users = User.objects.count()
    client = Client()
    r = sign_in(
        client, idp, {"sub": "s-3", "email": "stranger@example.org", "email_verified": True}
    )
    body = r.content.decode()
    assert r.status_code == 403 and 'id="sso-refused"' in body
    assert "not linked to anyone in meded" in body
    assert User.objects.count() == users and "_auth_user_id" not in client.session


def test_an_unverified_e_mail_is_not_enough(idp):
    person = _person_without_login()
    r = sign_in(Client(), idp, {"sub": "s-4", "email": person.email, "email_verified": False})
    assert r.status_code == 403 and "verified" in r.content.decode()
    person.refresh_from_db()
    assert person.user is None


def test_a_deactivated_login_is_refused(idp, users):
    User.objects.filter(pk=users["chief"].pk).update(is_active=False)
    chief = Person.objects.get(user=users["chief"])
    client = Client()
    r = sign_in(client, idp, {"sub": "s-5", "email": chief.email, "email_verified": True})
    assert r.status_code == 403 and "deactivated" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_token_for_another_client_is_refused(idp):
    person = _person_without_login()
    idp.id_claims = {"aud": "some-other-app"}
    r = sign_in(Client(), idp, {"sub": "s-6", "email": person.email, "email_verified": True})
    assert r.status_code == 400
    person.refresh_from_db()
    assert person.user is None


def test_a_callback_without_a_started_sign_in_is_refused_plainly(idp):
    r = Client().get("/accounts/oidc/callback/", {"code": "c", "state": "made-up"})
    assert r.status_code in (400, 403)
    assert "Traceback" not in r.content.decode()
    r = Client().get("/accounts/oidc/callback/", {"error": "access_denied"})
    assert r.status_code == 403 and "access_denied" in r.content.decode()


def test_endpoints_can_come_from_the_discovery_document_fetched_once(idp, settings):
    for name in ("AUTHORIZATION", "TOKEN", "USER", "JWKS"):
        delattr(settings, f"OIDC_OP_{name}_ENDPOINT")
    settings.MEDED_OIDC_ISSUER = ""
    settings.MEDED_OIDC_DISCOVERY_URL = f"{IDP}/.well-known/openid-configuration"
    person = _person_without_login()
    for _ in range(2):
        r = sign_in(Client(), idp, {"sub": "s-7", "email": person.email, "email_verified": True})
        assert r.status_code == 302
    assert idp.discovery_fetches == 1


def test_an_unreachable_provider_is_a_clear_503_not_a_500(idp, settings, monkeypatch):
    delattr(settings, "OIDC_OP_AUTHORIZATION_ENDPOINT")
    settings.MEDED_OIDC_DISCOVERY_URL = f"{IDP}/.well-known/openid-configuration"

    def down(*args: Any, **kwargs: Any) -> Any:
        raise oidc.requests.ConnectionError("no route to host")

    monkeypatch.setattr(oidc.requests, "get", down)
    r = Client().get("/accounts/oidc/authenticate/")
    assert r.status_code == 503 and "cannot reach the identity provider" in r.content.decode()
