"""The client address django-axes counts failed sign-ins by. Behind MEDED_PROXY_COUNT trusted
proxies, it is the address the outermost of them saw (the N-th entry from the right of
X-Forwarded-For); with none, the connection's own address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    proxies = int(getattr(settings, "MEDED_PROXY_COUNT", 0))
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")
