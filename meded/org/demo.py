"""Deterministic demo data: the Internal Medicine Residency Program in full, the rest of the
hospital network as lighter-weight records, and one login per persona.

Every person is invented (seeded random names); organizations and sites come from
demo_content.py. The same seed always gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from meded.audit import log as audit
from meded.org import demo_content as content
from meded.org.events import DEMO_LOADED
from meded.org.models import (
    AcademicYear,
    Appointment,
    Department,
    Institution,
    InstitutionRole,
    Person,
    Program,
    ProgramRole,
    Site,
    Track,
    TraineeYear,
)

DEMO_PASSWORD = "meded-demo"  # noqa: S105 - a published demo password, printed by `make demo`
EMAIL_DOMAIN = "demo.meded.example"

FIRST_NAMES = [
    "Aaron",
    "Abigail",
    "Adrian",
    "Aisha",
    "Alejandro",
    "Alice",
    "Amara",
    "Amir",
    "Ana",
    "Andre",
    "Anika",
    "Arjun",
    "Ava",
    "Beatriz",
    "Benjamin",
    "Bianca",
    "Caleb",
    "Camila",
    "Carlos",
    "Chen",
    "Chloe",
    "Daniel",
    "Dara",
    "Deepa",
    "Diego",
    "Elena",
    "Eli",
    "Emeka",
    "Emily",
    "Ethan",
    "Fatima",
    "Felix",
    "Gabriel",
    "Grace",
    "Hana",
    "Hannah",
    "Hugo",
    "Ian",
    "Imani",
    "Isaac",
    "Isabel",
    "Jamal",
    "Jasmine",
    "Javier",
    "Jonah",
    "Julia",
    "Kai",
    "Kavya",
    "Kenji",
    "Laila",
    "Leah",
    "Leo",
    "Lina",
    "Lucas",
    "Maya",
    "Mateo",
    "Mei",
    "Mira",
    "Nadia",
    "Naomi",
    "Nathan",
    "Nikhil",
    "Nina",
    "Noah",
    "Omar",
    "Oscar",
    "Priya",
    "Quinn",
    "Rafael",
    "Rania",
    "Riley",
    "Rosa",
    "Ryan",
    "Sahil",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Tessa",
    "Theo",
    "Uma",
    "Valeria",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zara",
    "Zoe",
    "Mariam",
    "Owen",
    "Ines",
    "Tomas",
    "Lena",
]
LAST_NAMES = [
    "Abbott",
    "Acosta",
    "Adeyemi",
    "Alvarez",
    "Anand",
    "Bauer",
    "Bello",
    "Bennett",
    "Brandt",
    "Castillo",
    "Chandra",
    "Chowdhury",
    "Costa",
    "Dalton",
    "Delgado",
    "Dubois",
    "Eklund",
    "Farouk",
    "Fischer",
    "Flores",
    "Gallo",
    "Garrido",
    "Greer",
    "Haddad",
    "Hale",
    "Hartmann",
    "Hoang",
    "Ibarra",
    "Iverson",
    "Jansen",
    "Joshi",
    "Kaplan",
    "Keller",
    "Khoury",
    "Kim",
    "Kowalski",
    "Lambert",
    "Larsen",
    "Lindqvist",
    "Lowe",
    "Madsen",
    "Marsh",
    "Medina",
    "Mendez",
    "Moreau",
    "Nakamura",
    "Navarro",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Ortega",
    "Osei",
    "Park",
    "Patel",
    "Pereira",
    "Quintero",
    "Rahman",
    "Ramos",
    "Reyes",
    "Rossi",
    "Sandoval",
    "Santos",
    "Schmidt",
    "Sato",
    "Serrano",
    "Shah",
    "Silva",
    "Sorensen",
    "Stone",
    "Suzuki",
    "Tan",
    "Thorne",
    "Torres",
    "Tran",
    "Ueda",
    "Valdez",
    "Varga",
    "Vega",
    "Vogel",
    "Wagner",
    "Walsh",
    "Weber",
    "Wong",
    "Yamada",
    "Yilmaz",
    "Young",
    "Zamora",
    "Zhang",
    "Ziegler",
    "Aldana",
    "Barros",
    "Conti",
    "Dunn",
    "Easton",
    "Ferreira",
    "Gupta",
    "Holm",
    "Ivanova",
    "Jovanovic",
    "Kaur",
    "Lund",
    "Mishra",
    "Nolan",
]
SCHOOLS = [
    "Harvard Medical School",
    "Boston University School of Medicine",
    "Tufts University",
    "UMass Chan Medical School",
    "Yale School of Medicine",
    "Columbia Vagelos",
    "Johns Hopkins",
    "University of Pennsylvania",
    "Stanford University",
    "University of Michigan",
    "Duke University",
    "Washington University",
    "University of Chicago",
    "Emory University",
]
STUDENT_SCHOOLS = [
    "Harvard Medical School",
    "MGH Institute of Health Professions",
    "Simmons University",
    "Northeastern University",
    "Boston College",
    "Regis College",
    "Salem State University",
    "UMass Boston",
    "Bunker Hill Community College",
    "Massachusetts College of Pharmacy",
]
STAFF_TITLES = [
    "Registered Nurse",
    "Nurse Practitioner",
    "Physician Assistant",
    "Attending Physician",
    "Pharmacist",
    "Physical Therapist",
    "Respiratory Therapist",
    "Social Worker",
    "Clinical Nurse Specialist",
    "Occupational Therapist",
    "Dietitian",
    "Radiologic Technologist",
]


@dataclass
class Scale:
    """How big the generated hospital is. Defaults: the seeds' network (300 programs, about
    2,500 trainees), with the sponsor holding 29 residencies and 139 fellowships."""

    sponsor_residencies: int = 29
    sponsor_fellowships: int = 139
    network_programs: int = 300
    network_trainees: int = 2500
    sponsor_trainees: int = 1500
    students: int = 2800
    clinical_staff: int = 10000
    im_faculty: int = 80
    # IM residents per class and track (PGY 1-3), plus preliminary interns.
    im_class: dict[str, int] = field(
        default_factory=lambda: {
            "categorical": 42,
            "primary-care": 10,
            "global-primary-care": 2,
            "psp": 5,
            "psp-short": 3,
        }
    )
    im_preliminary: int = 14


SMALL = Scale(
    sponsor_residencies=3,
    sponsor_fellowships=3,
    network_programs=8,
    network_trainees=260,
    sponsor_trainees=240,
    students=20,
    clinical_staff=30,
    im_faculty=12,
    im_class={
        "categorical": 8,
        "primary-care": 3,
        "global-primary-care": 1,
        "psp": 1,
        "psp-short": 1,
    },
    im_preliminary=2,
)

PERSONAS = [
    # username, first, last, what they are
    ("gme-admin", "Jordan", "Ellery", "GME office administrator (all programs)"),
    ("director", "Morgan", "Castell", "Program director, Internal Medicine"),
    ("coordinator", "Riley", "Ashdown", "Program coordinator, Internal Medicine"),
    ("chief", "Casey", "Winslow", "Chief resident, Internal Medicine"),
    ("faculty", "Avery", "Kingsley", "Faculty, Internal Medicine"),
    ("resident", "Taylor", "Brookfield", "Resident (PGY-2), Internal Medicine"),
    ("surgery-coordinator", "Drew", "Halloway", "Program coordinator, General Surgery"),
    ("outsider", "Sky", "Marlow", "Signed in, no role anywhere"),
]


class Names:
    """Unique invented names and e-mail addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.counter = 0

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{1000000 + self.counter}"

    def person(self, kind: str, **extra: object) -> Person:
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower()
        email, n = f"{base}@{EMAIL_DOMAIN}", 1
        while email in self.used:
            n += 1
            email = f"{base}{n}@{EMAIL_DOMAIN}"
        self.used.add(email)
        return Person(first_name=first, last_name=last, email=email, kind=kind, **extra)


def academic_years(today: dt.date) -> dict[int, AcademicYear]:
    """Two past years, the current one and the next, keyed by their start year."""
    start, _ = AcademicYear.bounds_for(today)
    years = {}
    for offset in (-3, -2, -1, 0, 1):
        s = dt.date(start.year + offset, 7, 1)
        e = dt.date(s.year + 1, 6, 30)
        ay, _ = AcademicYear.objects.get_or_create(
            start_date=s, defaults={"name": f"{s.year}-{s.year + 1}", "end_date": e}
        )
        years[s.year] = ay
    return years


class DemoBuilder:
    def __init__(
        self,
        seed: int = 2026,
        scale: Scale | None = None,
        today: dt.date | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.names = Names(self.rng)
        self.scale = scale or Scale()
        self.today = today or timezone.localdate()
        self.say = progress or (lambda _msg: None)
        self.ay_start, _ = AcademicYear.bounds_for(self.today)

    # -- helpers --------------------------------------------------------------------------

    def trainee(
        self,
        program: Program,
        pgy: int,
        track: Track | None,
        years_total: int,
        site: Site | None = None,
        person: Person | None = None,
    ) -> tuple[Person, Appointment, int]:
        """An unsaved trainee and appointment; the caller bulk-saves them."""
        p = person or self.names.person(
            Person.Kind.TRAINEE,
            degrees=self.rng.choice(["MD", "MD", "MD", "DO", "MD, PhD"]),
            medical_school=self.rng.choice(SCHOOLS),
            external_id=self.names.next_id("T"),
        )
        first_pgy = program.min_pgy
        start = dt.date(self.ay_start.year - (pgy - first_pgy), 7, 1)
        end = dt.date(start.year + years_total, 6, 30)
        appt = Appointment(
            kind=Appointment.Kind.TRAINEE,
            institution=program.institution,
            program=program,
            department=program.department,
            track=track,
            start_date=start,
            end_date=end,
            continuity_site=site,
        )
        return p, appt, pgy

    def save_trainees(self, rows: list[tuple[Person, Appointment, int]]) -> None:
        # Unsaved people, each once (dict keys keep order; id() because unsaved rows compare equal).
        unique_new = list({id(p): p for p, _, _ in rows if p.pk is None}.values())
        Person.objects.bulk_create(unique_new, batch_size=1000)
        for p, a, _ in rows:
            a.person = p
        Appointment.objects.bulk_create([a for _, a, _ in rows], batch_size=1000)
        years = []
        for _p, a, pgy in rows:
            assert a.program is not None
            first_pgy = pgy - (self.ay_start.year - a.start_date.year)
            for y, ay in self.years.items():
                if a.start_date <= ay.start_date and (
                    a.end_date is None or ay.end_date <= a.end_date
                ):
                    years.append(
                        TraineeYear(
                            appointment=a, academic_year=ay, pgy=first_pgy + (y - a.start_date.year)
                        )
                    )
        TraineeYear.objects.bulk_create(years, batch_size=2000)

    # -- the build --------------------------------------------------------------------------

    @transaction.atomic
    def build(self) -> dict[str, int]:
        self.say("Academic years")
        self.years = academic_years(self.today)

        self.say("Institutions and departments")
        insts = {}
        for name, short, slug, kind, city, sponsor in content.INSTITUTIONS:
            insts[slug] = Institution.objects.create(
                name=name, short_name=short, slug=slug, kind=kind, city=city, is_sponsor=sponsor
            )
        mgh = insts["mgh"]
        depts = {
            d: Department.objects.create(
                institution=mgh, name=f"Department of {d}", slug=slugify(d)
            )
            for d in content.DEPARTMENTS
        }
        other_depts = {
            slug: Department.objects.create(
                institution=inst, name="Department of Medicine", slug="medicine"
            )
            for slug, inst in insts.items()
            if slug != "mgh"
        }

        self.say("Internal Medicine: program, tracks, sites")
        im = Program.objects.create(
            institution=mgh,
            department=depts["Medicine"],
            kind=Program.Kind.RESIDENCY,
            min_pgy=1,
            max_pgy=3,
            **content.IM_PROGRAM,
        )
        tracks: dict[str, Track] = {}
        for order, (code, name, years, prelim, parent, desc) in enumerate(content.IM_TRACKS):
            tracks[code] = Track.objects.create(
                program=im,
                code=code,
                name=name,
                clinical_years=years,
                is_preliminary=prelim,
                parent=tracks.get(parent) if parent else None,
                description=desc,
                sort_order=order,
            )
        sites: list[Site] = []
        for order, (name, short, code, tcodes, lo, hi, town, desc) in enumerate(content.IM_SITES):
            site = Site.objects.create(
                institution=mgh,
                name=name,
                short_name=short,
                code=code,
                kind=Site.Kind.CONTINUITY,
                address=town,
                description=desc,
                residents_placed_min=lo,
                residents_placed_max=hi,
                sort_order=order,
            )
            site.tracks.set([tracks[c] for c in tcodes])
            sites.append(site)

        self.say("Internal Medicine: residents")
        im_rows = self.im_residents(im, tracks, sites)

        self.say("Other programs")
        programs = self.other_programs(mgh, depts, insts, other_depts)
        self.say("Other programs' trainees")
        im_count = len(im_rows)
        rows = self.other_trainees(programs, mgh, im_count)

        self.say("Faculty, staff and students")
        self.save_trainees(im_rows + rows)
        faculty = self.faculty(im, depts["Medicine"])
        self.staff_and_students(mgh, depts)

        self.say("Leadership and demo logins")
        self.personas(mgh, im, faculty, programs)

        audit.record(
            None,
            DEMO_LOADED,
            object_type="org.institution",
            object_id=str(mgh.pk),
            object_repr=str(mgh),
            note="Demo data loaded",
        )
        return {
            "programs": Program.objects.count(),
            "people": Person.objects.count(),
            "im_residents": Appointment.objects.filter(program=im).count(),
        }

    def im_residents(
        self, im: Program, tracks: dict[str, Track], sites: list[Site]
    ) -> list[tuple[Person, Appointment, int]]:
        # Continuity sites: fill each toward the middle of its published range, honoring tracks.
        target = {}
        for site in sites:
            lo = site.residents_placed_min or 0
            hi = site.residents_placed_max if site.residents_placed_max is not None else lo + 10
            target[site.pk] = (lo + hi) / 2
        placed = dict.fromkeys(target, 0)
        site_tracks = {site.pk: {t.code for t in site.tracks.all()} for site in sites}

        def pick_site(track: Track) -> Site:
            code = (
                track.parent.code
                if track.parent and track.code != "global-primary-care"
                else track.code
            )
            if code == "psp":
                code = "categorical"
            fits = [s for s in sites if code in site_tracks[s.pk]]
            best = max(fits, key=lambda s: (target[s.pk] - placed[s.pk], -s.sort_order))
            placed[best.pk] += 1
            return best

        rows = []
        for pgy in (1, 2, 3):
            for code, n in self.scale.im_class.items():
                track = tracks[code]
                if pgy > track.clinical_years:
                    continue
                for _ in range(n):
                    rows.append(
                        self.trainee(im, pgy, track, track.clinical_years, pick_site(track))
                    )
        for _ in range(self.scale.im_preliminary):
            rows.append(self.trainee(im, 1, tracks["preliminary"], 1))
        return rows

    def other_programs(
        self,
        mgh: Institution,
        depts: dict[str, Department],
        insts: dict[str, Institution],
        other_depts: dict[str, Department],
    ) -> list[Program]:
        s = self.scale
        new: list[Program] = []
        for i in range(s.sponsor_residencies - 1):
            spec, dept, years = content.RESIDENCY_SPECIALTIES[
                i % len(content.RESIDENCY_SPECIALTIES)
            ]
            suffix = "" if i < len(content.RESIDENCY_SPECIALTIES) else f" {i}"
            new.append(
                Program(
                    institution=mgh,
                    department=depts[dept],
                    kind=Program.Kind.RESIDENCY,
                    name=f"{spec} Residency{suffix}",
                    slug=slugify(f"{spec} residency{suffix}"),
                    specialty=spec,
                    min_pgy=1,
                    max_pgy=years,
                )
            )
        for i in range(s.sponsor_fellowships):
            subj = content.FELLOWSHIP_SUBJECTS[i % len(content.FELLOWSHIP_SUBJECTS)]
            n = i // len(content.FELLOWSHIP_SUBJECTS)
            suffix = "" if n == 0 else f" ({['', 'Research', 'Advanced'][min(n, 2)]} {n})"
            new.append(
                Program(
                    institution=mgh,
                    department=depts["Medicine"],
                    kind=Program.Kind.FELLOWSHIP,
                    name=f"{subj} Fellowship{suffix}",
                    slug=slugify(f"{subj} fellowship{suffix}"),
                    specialty=subj,
                    min_pgy=4,
                    max_pgy=6,
                )
            )
        others = [k for k in insts if k != "mgh"]
        remaining = s.network_programs - 1 - len(new)
        for i in range(max(0, remaining)):
            inst_slug = others[i % len(others)]
            inst = insts[inst_slug]
            fellowship = (i // len(others)) % 3 != 0
            pool = (
                content.FELLOWSHIP_SUBJECTS
                if fellowship
                else [r[0] for r in content.RESIDENCY_SPECIALTIES]
            )
            subj = pool[i % len(pool)]
            kind = Program.Kind.FELLOWSHIP if fellowship else Program.Kind.RESIDENCY
            name = f"{inst.short_name} {subj} {kind.label}"
            new.append(
                Program(
                    institution=inst,
                    department=other_depts[inst_slug],
                    kind=kind,
                    name=name,
                    slug=slugify(f"{inst_slug} {subj} {kind.value} {i}"),
                    specialty=subj,
                    min_pgy=4 if fellowship else 1,
                    max_pgy=6 if fellowship else 4,
                )
            )
        Program.objects.bulk_create(new, batch_size=500)
        return new

    def other_trainees(
        self, programs: list[Program], mgh: Institution, im_count: int
    ) -> list[tuple[Person, Appointment, int]]:
        s = self.scale
        sponsor = [p for p in programs if p.institution_id == mgh.pk]
        network = [p for p in programs if p.institution_id != mgh.pk]
        rows = []
        for pool, total in (
            (sponsor, s.sponsor_trainees - im_count),
            (network, s.network_trainees - s.sponsor_trainees),
        ):
            if not pool:
                continue
            for i in range(max(0, total)):
                program = pool[i % len(pool)]
                pgy = self.rng.randint(program.min_pgy, program.max_pgy)
                years = program.max_pgy - program.min_pgy + 1
                rows.append(self.trainee(program, pgy, None, years))
        return rows

    def faculty(self, im: Program, medicine: Department) -> list[Person]:
        people = [
            self.names.person(
                Person.Kind.FACULTY,
                degrees=self.rng.choice(["MD", "MD, PhD", "MD, MPH"]),
                requires_cme=True,
            )
            for _ in range(self.scale.im_faculty)
        ]
        Person.objects.bulk_create(people)
        start = dt.date(self.ay_start.year - 5, 7, 1)
        Appointment.objects.bulk_create(
            [
                Appointment(
                    person=p,
                    kind=Appointment.Kind.FACULTY,
                    institution=im.institution,
                    program=im,
                    department=medicine,
                    title="Attending Physician",
                    start_date=start,
                )
                for p in people
            ]
        )
        return people

    def staff_and_students(self, mgh: Institution, depts: dict[str, Department]) -> None:
        s = self.scale
        dept_list = list(depts.values())
        staff = [
            self.names.person(Person.Kind.STAFF, requires_cme=True) for _ in range(s.clinical_staff)
        ]
        Person.objects.bulk_create(staff, batch_size=2000)
        Appointment.objects.bulk_create(
            [
                Appointment(
                    person=p,
                    kind=Appointment.Kind.STAFF,
                    institution=mgh,
                    department=self.rng.choice(dept_list),
                    title=self.rng.choice(STAFF_TITLES),
                    start_date=dt.date(self.ay_start.year - self.rng.randint(0, 20), 7, 1),
                )
                for p in staff
            ],
            batch_size=2000,
        )
        students = [self.names.person(Person.Kind.STUDENT) for _ in range(s.students)]
        Person.objects.bulk_create(students, batch_size=2000)
        rotations = []
        for p in students:
            start = self.ay_start + dt.timedelta(weeks=self.rng.randint(0, 40))
            rotations.append(
                Appointment(
                    person=p,
                    kind=Appointment.Kind.STUDENT,
                    institution=mgh,
                    department=self.rng.choice(dept_list),
                    school=self.rng.choice(STUDENT_SCHOOLS),
                    title="Student on rotation",
                    start_date=start,
                    end_date=start + dt.timedelta(weeks=self.rng.choice([4, 6, 8, 12])),
                )
            )
        Appointment.objects.bulk_create(rotations, batch_size=2000)

    def personas(
        self, mgh: Institution, im: Program, faculty: list[Person], programs: list[Program]
    ) -> None:
        users = {}
        for username, first, last, _what in PERSONAS:
            users[username] = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@{EMAIL_DOMAIN}",
            )

        def person(username: str, kind: str, **extra: object) -> Person:
            user = users[username]
            return Person.objects.create(
                first_name=user.first_name,
                last_name=user.last_name,
                email=user.email,
                kind=kind,
                user=user,
                **extra,
            )

        def appoint(
            who: Person,
            kind: str,
            title: str,
            start: dt.date,
            program: Program | None = None,
            role: str | None = None,
            end: dt.date | None = None,
        ) -> None:
            Appointment.objects.create(
                person=who,
                kind=kind,
                institution=mgh,
                program=program,
                department=program.department if program else None,
                title=title,
                start_date=start,
                end_date=end,
            )
            if role is not None and program is not None:
                ProgramRole.objects.create(program=program, person=who, role=role)

        staff, fac_kind, roles = Appointment.Kind.STAFF, Appointment.Kind.FACULTY, ProgramRole.Role
        gme = person("gme-admin", Person.Kind.STAFF)
        InstitutionRole.objects.create(
            institution=mgh, person=gme, role=InstitutionRole.Role.GME_ADMIN
        )
        appoint(gme, staff, "GME Office Administrator", dt.date(2015, 7, 1))

        pd = person("director", Person.Kind.FACULTY, degrees="MD", requires_cme=True)
        appoint(pd, fac_kind, "Program Director", dt.date(2012, 7, 1), im, roles.DIRECTOR)
        for f in faculty[:4]:
            ProgramRole.objects.create(program=im, person=f, role=roles.ASSOCIATE_DIRECTOR)
        coord = person("coordinator", Person.Kind.STAFF)
        appoint(
            coord,
            staff,
            "Residency Program Coordinator",
            dt.date(2019, 7, 1),
            im,
            roles.COORDINATOR,
        )
        # Chief residents here are post-residency staff with the chief role (not a PGY-4).
        chief = person("chief", Person.Kind.TRAINEE, degrees="MD")
        appoint(
            chief,
            staff,
            "Chief Medical Resident",
            self.ay_start,
            im,
            roles.CHIEF_RESIDENT,
            end=dt.date(self.ay_start.year + 1, 6, 30),
        )
        fac = person("faculty", Person.Kind.FACULTY, degrees="MD", requires_cme=True)
        appoint(fac, fac_kind, "Attending Physician", dt.date(2016, 7, 1), im)

        res = person(
            "resident",
            Person.Kind.TRAINEE,
            degrees="MD",
            medical_school="Tufts University",
            external_id="T00000002",
        )
        cat = im.tracks.get(code="categorical")
        ima = Site.objects.get(code="ima")
        self.save_trainees([self.trainee(im, 2, cat, 3, ima, person=res)])

        surgery = next(p for p in programs if p.slug == "general-surgery-residency")
        sc = person("surgery-coordinator", Person.Kind.STAFF)
        appoint(
            sc,
            staff,
            "Residency Program Coordinator",
            dt.date(2020, 7, 1),
            surgery,
            roles.COORDINATOR,
        )
        # The outsider has a login and nothing else.


def demo_loaded() -> bool:
    return Institution.objects.filter(is_sponsor=True).exists()


def load_demo(
    seed: int = 2026,
    scale: Scale | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    return DemoBuilder(seed=seed, scale=scale, today=today, progress=progress).build()
