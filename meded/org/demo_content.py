"""The demo program's published facts (sites, tracks, institutions), from the hospital's public
pages. Organizations and places only: every person in the demo is invented (see demo.py)."""

from __future__ import annotations

INSTITUTIONS = [
    # name, short name, slug, kind, city, is_sponsor
    ("Massachusetts General Hospital", "Mass General", "mgh", "academic", "Boston", True),
    ("Brigham and Women's Hospital", "Brigham", "bwh", "academic", "Boston", False),
    ("Mass Eye and Ear", "Mass Eye and Ear", "meei", "specialty", "Boston", False),
    ("McLean Hospital", "McLean", "mclean", "specialty", "Belmont", False),
    ("Newton-Wellesley Hospital", "Newton-Wellesley", "nwh", "community", "Newton", False),
    ("Salem Hospital", "Salem", "salem", "community", "Salem", False),
    ("Spaulding Rehabilitation Hospital", "Spaulding", "spaulding", "specialty", "Boston", False),
]

IM_PROGRAM = {
    "name": "Internal Medicine Residency Program",
    "slug": "internal-medicine",
    "specialty": "Internal Medicine",
    "accreditation_id": "1402421001",
    "description": (
        "The Department of Medicine's Internal Medicine Residency Program is structured to train "
        "thoughtful and independent physicians who are prepared for diverse careers in medicine. "
        "Residents alternate through general medicine services, intensive care units, the "
        "Emergency Department and consultation services; outpatient education comes from the "
        "ambulatory care rotation (ACR), the ambulatory subspecialty elective (ASE) and a weekly "
        "continuity clinic."
    ),
}

# code, name, clinical years, preliminary, parent code, description
IM_TRACKS = [
    (
        "categorical",
        "Categorical",
        3,
        False,
        None,
        "Three years of inpatient and outpatient training preparing for any career in medicine.",
    ),
    (
        "primary-care",
        "Primary Care",
        3,
        False,
        None,
        "More ambulatory time and a continuity practice at the center of training.",
    ),
    (
        "global-primary-care",
        "Global Primary Care",
        3,
        False,
        "primary-care",
        "Primary care training with global health experiences.",
    ),
    (
        "psp",
        "Physician-Scientist Pathway",
        3,
        False,
        None,
        "Rigorous clinical training with mentorship for careers in basic investigation; an early "
        "elective in the specialty of interest during internship, research electives in the "
        "second year.",
    ),
    (
        "psp-short",
        "Physician-Scientist Pathway (short track)",
        2,
        False,
        "psp",
        "The ABIM Research Pathway: the clinical component in two years, then fellowship with "
        "extended research.",
    ),
    (
        "preliminary",
        "Preliminary",
        1,
        True,
        None,
        "One internship year before a residency in another specialty.",
    ),
]

CATEGORICAL, PRIMARY, GLOBAL = "categorical", "primary-care", "global-primary-care"

# name, short, code, tracks, placed min, placed max (None = open-ended), town, description
IM_SITES = [
    (
        "Beacon Hill Primary Care",
        "Beacon Hill",
        "beacon-hill",
        [PRIMARY, CATEGORICAL],
        2,
        10,
        "Boston, MA",
        "Close to the main campus, Beacon Hill Primary Care is a busy practice that provides "
        "comprehensive adult primary care.",
    ),
    (
        "Bulfinch Medical Group",
        "BMG",
        "bmg",
        [PRIMARY, CATEGORICAL],
        20,
        None,
        "Boston, MA",
        "A primary care and consultative internal medicine practice on the main campus, featuring "
        "an award-winning Diabetes Management Program, Cardiovascular Wellness Program and "
        "Patient Education Center.",
    ),
    (
        "Mass General Internal Medical Associates",
        "IMA",
        "ima",
        [PRIMARY, CATEGORICAL],
        60,
        60,
        "Boston, MA",
        "A patient-centered primary care practice on the main campus, offering comprehensive care "
        "for the more serious medical issues, on-site case managers, an internal urgent care unit "
        "and diabetic counseling. Residents are fully integrated members of the collaborative care "
        "team, and the practice hosts a student-run clinic that residents help precept.",
    ),
    (
        "Mass General Broadway Primary Care – Revere",
        "Broadway-Revere",
        "broadway-revere",
        [PRIMARY],
        2,
        10,
        "Revere, MA",
        "High quality adult primary care for patients who live in Revere and its neighboring "
        "communities, with multilingual staff and interpreter services, and community programs in "
        "diabetes and hypertension.",
    ),
    (
        "Charlestown HealthCare Center",
        "Charlestown",
        "charlestown",
        [PRIMARY, CATEGORICAL],
        2,
        10,
        "Charlestown, MA",
        "A community health center 1.3 miles from campus serving an economically and culturally "
        "diverse population, with on-site subspecialty services and community outreach programs.",
    ),
    (
        "Chelsea HealthCare Center",
        "Chelsea",
        "chelsea",
        [PRIMARY, CATEGORICAL, GLOBAL],
        2,
        10,
        "Chelsea, MA",
        "A health center with a walk-in clinic and services in adult medicine, pediatrics, mental "
        "health and social services, a large staff of interpreters and outreach workers, and "
        "programs in substance use, HIV, hepatitis C, diabetes, tuberculosis and refugee health.",
    ),
    (
        "MGH Downtown Primary Care",
        "Downtown",
        "downtown",
        [CATEGORICAL],
        2,
        10,
        "Boston, MA",
        "A group practice in downtown Boston offering a complete range of medical services.",
    ),
    (
        "Revere HealthCare Center",
        "RHC",
        "revere-hc",
        [PRIMARY, CATEGORICAL],
        2,
        10,
        "Revere, MA",
        "Overlooking Revere Beach, serving a diverse and medically underserved community, with "
        "laboratory, radiology and many on-site subspecialty services.",
    ),
    (
        "Mass General Waltham",
        "Waltham",
        "waltham",
        [CATEGORICAL],
        2,
        10,
        "Waltham, MA",
        "A group practice providing comprehensive adult and pediatric primary care with a focus "
        "on prevention, serving the communities west of Boston.",
    ),
    (
        "Massachusetts General Medical Group",
        "MGMG",
        "mgmg",
        [CATEGORICAL],
        2,
        10,
        "Boston, MA",
        "A busy practice of general internists adjacent to the main campus; residents join a "
        "team-based system with a core group of preceptors.",
    ),
    (
        "North End Waterfront Health",
        "NEWH",
        "newh",
        [CATEGORICAL],
        2,
        10,
        "Boston, MA",
        "A community health center practice about a mile from campus in the most densely "
        "populated part of the city; residents also see urgent care patients.",
    ),
    (
        "Primary Care Associates, Mass General Waltham",
        "PCA Waltham",
        "pca-waltham",
        [PRIMARY],
        2,
        10,
        "Waltham, MA",
        "Serves patients of an affiliated community hospital, with on-site phlebotomy, radiology, "
        "physical therapy and a collaborative care psychiatrist.",
    ),
    (
        "Women's Health Associates",
        "WHA",
        "wha",
        [PRIMARY, CATEGORICAL],
        2,
        10,
        "Boston, MA",
        "A group practice of primary care physicians with a focus on women's health, with monthly "
        "educational conferences on the care of women.",
    ),
]

# Departments of the sponsoring institution; other programs hang off these.
DEPARTMENTS = [
    "Medicine",
    "Surgery",
    "Pediatrics",
    "Anesthesia",
    "Radiology",
    "Psychiatry",
    "Neurology",
    "Emergency Medicine",
    "Obstetrics and Gynecology",
    "Orthopaedics",
    "Pathology",
    "Dermatology",
    "Urology",
    "Radiation Oncology",
    "Physical Medicine and Rehabilitation",
    "Ophthalmology",
    "Otolaryngology",
    "Neurosurgery",
    "Dentistry",
    "Nursing",
    "Health Professions",
]

# Other residency specialties (the IM program makes the 29th at the sponsor).
RESIDENCY_SPECIALTIES = [
    ("General Surgery", "Surgery", 5),
    ("Anesthesiology", "Anesthesia", 4),
    ("Dermatology", "Dermatology", 4),
    ("Emergency Medicine", "Emergency Medicine", 4),
    ("Neurology", "Neurology", 4),
    ("Neurosurgery", "Neurosurgery", 7),
    ("Obstetrics and Gynecology", "Obstetrics and Gynecology", 4),
    ("Orthopaedic Surgery", "Orthopaedics", 5),
    ("Pathology", "Pathology", 4),
    ("Pediatrics", "Pediatrics", 3),
    ("Psychiatry", "Psychiatry", 4),
    ("Diagnostic Radiology", "Radiology", 5),
    ("Radiation Oncology", "Radiation Oncology", 5),
    ("Urology", "Urology", 5),
    ("Physical Medicine and Rehabilitation", "Physical Medicine and Rehabilitation", 4),
    ("Ophthalmology", "Ophthalmology", 4),
    ("Otolaryngology", "Otolaryngology", 5),
    ("Plastic Surgery", "Surgery", 6),
    ("Vascular Surgery", "Surgery", 5),
    ("Thoracic Surgery", "Surgery", 6),
    ("Interventional Radiology", "Radiology", 6),
    ("Child Neurology", "Neurology", 5),
    ("Medicine-Pediatrics", "Medicine", 4),
    ("Nuclear Medicine", "Radiology", 4),
    ("Oral and Maxillofacial Surgery", "Dentistry", 4),
    ("Preventive Medicine", "Medicine", 3),
    ("Medical Genetics", "Pediatrics", 4),
    ("Transitional Year", "Medicine", 1),
]

FELLOWSHIP_SUBJECTS = [
    "Cardiovascular Disease",
    "Gastroenterology",
    "Hematology and Medical Oncology",
    "Infectious Disease",
    "Nephrology",
    "Pulmonary and Critical Care Medicine",
    "Rheumatology",
    "Endocrinology, Diabetes and Metabolism",
    "Geriatric Medicine",
    "Palliative Medicine",
    "Allergy and Immunology",
    "Interventional Cardiology",
    "Clinical Cardiac Electrophysiology",
    "Advanced Heart Failure and Transplant Cardiology",
    "Transplant Hepatology",
    "Sleep Medicine",
    "Addiction Medicine",
    "Hospital Medicine",
    "Critical Care Medicine",
    "Pain Medicine",
    "Pediatric Cardiology",
    "Neonatal-Perinatal Medicine",
    "Pediatric Critical Care",
    "Pediatric Emergency Medicine",
    "Pediatric Gastroenterology",
    "Pediatric Infectious Disease",
    "Child and Adolescent Psychiatry",
    "Forensic Psychiatry",
    "Consultation-Liaison Psychiatry",
    "Geriatric Psychiatry",
    "Vascular Neurology",
    "Clinical Neurophysiology",
    "Epilepsy",
    "Neuromuscular Medicine",
    "Neuroradiology",
    "Abdominal Imaging",
    "Musculoskeletal Radiology",
    "Breast Imaging",
    "Cytopathology",
    "Dermatopathology",
    "Hematopathology",
    "Surgical Critical Care",
    "Trauma and Acute Care Surgery",
    "Surgical Oncology",
    "Hand Surgery",
    "Sports Medicine",
    "Spine Surgery",
    "Maternal-Fetal Medicine",
    "Gynecologic Oncology",
    "Reproductive Endocrinology",
    "Regional Anesthesiology",
    "Cardiothoracic Anesthesiology",
    "Obstetric Anesthesiology",
    "Pediatric Anesthesiology",
    "Medical Toxicology",
    "Ultrasound",
    "Global Health",
    "Medical Education",
    "Informatics",
]
