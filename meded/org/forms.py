"""Forms for editing organization records; the writes themselves are in actions.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing

from meded.org import roster
from meded.org.models import Appointment, Leave, Person, Site, Track


class TraineeForm(forms.Form):
    """One trainee's record in one program: who they are and their appointment this year."""

    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    preferred_name = forms.CharField(max_length=100, required=False)
    degrees = forms.CharField(max_length=60, required=False)
    email = forms.EmailField(max_length=254)
    npi = forms.RegexField(
        regex=r"^\d{10}$",
        required=False,
        label="NPI",
        error_messages={"invalid": "An NPI is exactly 10 digits."},
    )
    medical_school = forms.CharField(max_length=200, required=False)
    track = forms.ModelChoiceField(queryset=Track.objects.none())
    pgy = forms.TypedChoiceField(coerce=int, label="PGY this academic year")
    status = forms.ChoiceField(choices=Appointment.Status.choices)
    continuity_site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # The record as the form opened it (signed): a save compares the record with it, so an
    # edit made meanwhile by someone else is never overwritten (meded.org.actions.StaleEdit).
    base = forms.CharField(widget=forms.HiddenInput, required=False)

    BASE_SALT = "meded.org.trainee-edit"

    @classmethod
    def base_token(cls, snapshot: dict[str, Any]) -> str:
        return signing.dumps(snapshot, salt=cls.BASE_SALT, compress=True)

    def clean_base(self) -> dict[str, Any] | None:
        token = self.cleaned_data.get("base") or ""
        if not token:
            return None
        try:
            value = signing.loads(token, salt=self.BASE_SALT)
        except signing.BadSignature:
            raise forms.ValidationError("This form is out of date: reload the page.") from None
        return value if isinstance(value, dict) else None

    def __init__(self, *args: Any, appointment: Appointment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        program = appointment.program
        assert program is not None
        self.program = program
        self.fields["track"].queryset = Track.objects.filter(program=program)  # type: ignore[attr-defined]
        self.fields["continuity_site"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            tracks__program=program
        ).distinct()
        self.fields["pgy"].choices = [  # type: ignore[attr-defined]
            (p, f"PGY-{p}") for p in range(program.min_pgy, program.max_pgy + 1)
        ]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        taken = Person.objects.filter(email__iexact=email).exclude(pk=self.appointment.person_id)
        if taken.exists():
            raise forms.ValidationError(f"{email} already belongs to another person.")
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        track: Track | None = data.get("track")
        pgy = data.get("pgy")
        if track is not None and pgy is not None:
            lo, hi = roster.pgy_range(self.program, track)
            if not lo <= pgy <= hi:
                self.add_error(
                    "pgy", f"PGY-{pgy} is out of range for the {track} track (PGY {lo}-{hi})."
                )
        site: Site | None = data.get("continuity_site")
        if track is not None and site is not None:
            listed = {site.pk: set(site.tracks.values_list("pk", flat=True))}
            with_sites = set(
                Track.objects.filter(program=self.program, sites__isnull=False).values_list(
                    "pk", flat=True
                )
            )
            if not roster.site_offers(site, track, listed, with_sites):
                self.add_error("continuity_site", f"{site} does not offer the {track} track.")
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date is before the start date.")
        return data


class LeaveForm(forms.Form):
    """A leave of absence (dates inclusive); the rules are checked in do_add_leave."""

    kind = forms.ChoiceField(choices=Leave.Kind.choices)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The leave ends before it starts.")
        return data
