"""{% calendar_subscription_link person %}: a link to the person's calendar subscription,
shown only to those who may see it (the person and their program's managers)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from meded.calendars.access import can_manage_feed, is_self

register = template.Library()


@register.simple_tag(takes_context=True)
def calendar_subscription_link(context: dict[str, Any], person: Any) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or person is None or not can_manage_feed(user, person):
        return ""
    if is_self(user, person):
        return format_html(
            '<a href="{}" id="calendar-subscription">Subscribe to my calendar</a>',
            reverse("calendars:mine"),
        )
    return format_html(
        '<a href="{}" id="calendar-subscription">Calendar subscription</a>',
        reverse("calendars:person", args=[person.pk]),
    )
