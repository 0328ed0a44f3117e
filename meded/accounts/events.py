"""The audit events of sign-in (meded.audit.events)."""

from meded.audit.events import define

SSO_LINKED = define("account.sso_linked", "Login created by single sign-on", "update")
