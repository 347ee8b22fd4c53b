"""Ofsted Annex A child-level lists (List 1 Contacts ... List 11 Adopters), as councils produce them.

A pure data module: no I/O, no pandas. Each list is a :class:`ListSpec` of :class:`Column` entries in template
order. Headers and coded values follow Ofsted's Annex A template (cross-checked against the public liia-tools
Annex A schema); ``key`` is our own snake_case name used throughout the workbench. Dates are written dd/mm/yyyy
(:data:`DATE_FORMAT`); coded values carry the template's prefix such as ``"b) Female"`` or ``"N1 - Abuse or neglect"``.

Template years. Headers that differ between template years and producers are accepted through ``variants``; a
column a template did not have is simply absent, and only the measures that need it stop (``docs/measures.md``).

* The canonical headers are the latest template's: List 9 with "Allocated Personal Advisor", "Latest Pathway Plan
  Review Date", "Latest Date of Contact" and "UASC, or formerly UASC if 18 or over"; "Sex" for "Gender" (2026, same
  codes).
* Ofsted's August 2019 template (checked on the ``.xls`` sample in ``shared/data/annex_a_samples``): sheets "List_1"
  ... "List_11" after four guidance sheets, a title row ("List 1: Contacts") above each header, List 9 without the
  four columns above. Its codes differ only a little: disability Yes/No (later also "c) Unknown"), no RC9 closure
  reason, no "p1) 5D" contact source, no "d) Eligible child". The liia-tools sample (data of 2020-21) has the same
  List 9.
* Wording of the earlier (single inspection framework) templates and of councils' own exports, as public Annex A
  cleaning tools record it: "Section 47 Enquiry Start Date" for the strategy discussion, "Initial Child Protection
  Conference Not Required" for "... deemed unnecessary", "Assessment Completion Date" for the date of authorisation,
  "in care" where the template says "looked after". Not every template year could be checked against a file of its
  own.

Producers also write the headers with other spacing, case, punctuation, trailing spaces, non-breaking spaces and hints
such as "(dd/mm/yyyy)" or "(Y/N)": :func:`normalise_header` ignores all of those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "date", "category", "integer", "years", "number", "text"]
"""``years``: an age in whole years at the last birthday; a fraction (an age computed to the day) is floored, -1 means
unborn."""

DATE_FORMAT = "%d/%m/%Y"
"""How Annex A dates are written (dd/mm/yyyy)."""


@dataclass(frozen=True)
class Column:
    """One column of an Annex A list."""

    header: str  # canonical header exactly as Ofsted's template prints it
    key: str  # snake_case name used in our code
    kind: Kind
    required: bool = False  # True when the template says it cannot be blank
    variants: tuple[str, ...] = ()  # other headers councils use for the same column
    codes: tuple[str, ...] = ()  # for categories: the template's prefixed codes
    identifying: bool = False  # child-identifying: never to appear in shared outputs
    # True when a blank says something (not ended, not yet, no worker allocated), so that a column blank on every
    # row is still information; any other column blank on every row counts as not supplied.
    may_be_all_blank: bool = False


@dataclass(frozen=True)
class ListSpec:
    """One Annex A list (one sheet or CSV)."""

    number: int
    sheet: str
    title: str
    columns: tuple[Column, ...]
    record_key: tuple[str, ...]  # keys identifying one record, for duplicate detection

    def column(self, key: str) -> Column:
        """The column with this key (KeyError if absent)."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        """Column keys in template order."""
        return tuple(col.key for col in self.columns)


# --- shared code lists -------------------------------------------------------------------------------------------

YES_NO = ("a) Yes", "b) No")
YES_NO_UNKNOWN = ("a) Yes", "b) No", "c) Unknown")

GENDER_CODES = ("a) Male", "b) Female", "c) Not stated/recorded", "d) Neither")

ETHNICITY_CODES = (
    "a) WBRI",
    "b) WIRI",
    "c) WIRT",
    "d) WOTH",
    "e) WROM",
    "f) MWBC",
    "g) MWBA",
    "h) MWAS",
    "i) MOTH",
    "j) AIND",
    "k) APKN",
    "l) ABAN",
    "m) AOTH",
    "n) BCRB",
    "o) BAFR",
    "p) BOTH",
    "q) CHNE",
    "r) OOTH",
    "s) REFU",
    "t) NOBT",
)

SOURCE_CODES = (
    "a) 1A: Individual",
    "b) 1B: Individual",
    "c) 1C: Individual",
    "d) 1D: Individual",
    "e) 2A: Schools",
    "f) 2B: Education services",
    "g) 3A: Health services",
    "h) 3B: Health services",
    "i) 3C: Health services",
    "j) 3D: Health services",
    "k) 3E: Health services",
    "l) 3F: Health services",
    "m) 4: Housing",
    "n) 5A: LA services",
    "o) 5B: LA services",
    "p) 5C: LA services",
    "p1) 5D: LA services",
    "q) 6: Police",
    "r) 7: Other legal agency",
    "s) 8: Other",
    "t) 9: Anonymous",
    "u) 10: Unknown",
)

NEED_CODES = (
    "N1 - Abuse or neglect",
    "N2 - Child's disability",
    "N3 - Parental disability or illness",
    "N4 - Family in acute stress",
    "N5 - Family dysfunction",
    "N6 - Socially unacceptable behaviour",
    "N7 - Low income",
    "N8 - Absent parenting",
    "N9 - Cases other than children in need",
    "N0 - Not stated",
)

CIN_CLOSURE_CODES = (
    "RC1 - Adopted",
    "RC2 - Died",
    "RC3 - Child arrangements order",
    "RC4 - Special guardianship order",
    "RC5 - Transferred to services of another local authority",
    "RC6 - Transferred to adult social care services",
    "RC7 - Services ceased for any other reason, including child no longer in need",
    "RC8 - Case closed after assessment, no further action",
    "RC9 - Case closed after assessment, referred to early help",
)

CASE_STATUS_CODES = (
    "a) Looked after child",
    "b) Child Protection plan",
    "c) Child in need plan",
    "d) Open assessment",
    "e) Closed episode",
)

ABUSE_CODES = (
    "a) Neglect",
    "b) Physical abuse",
    "c) Sexual abuse",
    "d) Emotional abuse",
    "e) Multiple/not recommended",
)

LEGAL_STATUS_CODES = (
    "C1: ICO",
    "C2: FCO",
    "D1: Freeing order",
    "E1: Placement order",
    "V2: Single period under S20",
    "V3: Short term breaks, episodes recorded",
    "V4: Short term breaks, agreements recorded",
    "L1: Police protection LA accommodation",
    "L2: EPO",
    "L3: Child assessment order LA accommodation",
    "J1: Remanded to LA or youth detention",
    "J2: LA accommodation under PACE",
    "J3: Youth rehabilitation order",
)

PERMANENCE_PLAN_CODES = (
    "a) Return to family",
    "b) Adoption",
    "c) SGO/CAO",
    "d) Supported living in the community",
    "e) Long-term residential placement",
    "f) Long-term fostering",
    "g) other",
)

CEASED_REASON_CODES = (
    "a) E11: Adopted - application unopposed",
    "b) E12: Adopted - consent dispensed",
    "c) E2: Died",
    "d) E3: Care taken by another LA",
    "e) E4A: Returned home to live with parents or relatives - part of planning",
    "f) E4B: Returned home to live with parents or relatives - not part of planning",
    "g) E13: Parents, relatives or other with no parental responsibility",
    "h) E41: Residence order granted",
    "i) E45: Special Guardianship Orders - former carer relative/friend",
    "j) E46: Special Guardianship Orders - former carer other",
    "k) E47: Special Guardianship Orders - relative/friend",
    "l) E48: Special Guardianship Orders - other",
    "m) E5: Moved into independent living - supported",
    "n) E6: Moved into independent living - no support",
    "o) E7: Transferred to residential care funded by adult social services",
    "p) E9: Sentenced to custody",
    "q) E14: Accommodation on remand ended",
    "r) E15: Age assessment determined child was 18 or over",
    "s) E16: Child moved abroad",
    "t) E8: Care ceased for any other reason",
    "u) X1: CodeError",
    "v) E17: Aged 18+ and remained with current carers",
)

PLACEMENT_TYPE_CODES = (
    "a) U1: Foster placement - relatives - long term",
    "b) U2: Foster placement - relative - FFA",
    "c) U3: Foster placement - relative - not FFA",
    "d) U4: Foster placement - long term",
    "e) U5: Foster placement - FFA",
    "f) U6: Foster placement - not FFA",
    "g) A3: Placed for adoption - consent - current foster",
    "h) A4: Placed for adoption - consent - not foster",
    "i) A5: Placed for adoption - order - foster",
    "j) A6: Placed for adoption - order - not foster",
    "k) P1: Placed with parents",
    "l) P2: Independent living",
    "m) P3: Residential employment",
    "n) H5: Residential accommodation",
    "o) K1: Secure Children's Homes",
    "p) K2: Children's Homes",
    "q) R1: Residential Care Home",
    "r) R2: NHS/Health Trust",
    "s) R3: Family Centre or Mother and Baby Unit",
    "t) R5: Young Offender Institution",
    "u) S1: Residential school",
    "v) Z1: Other placements",
    "w) T0: Temporary placement",
    "x) T1: Temporary placement - hospital",
    "y) T2: Temporary placement - holiday",
    "z) T3: Temporary placement - carer holiday",
    "zz) T4: Temporary placement - seven days or less",
)

PLACEMENT_PROVIDER_CODES = (
    "a) PR0: Parents/Parental responsibility",
    "b) PR1: Own provision",
    "c) PR2: Other LA provision",
    "d) PR3: Other public provision",
    "e) PR4: Private provision",
    "f) PR5: Voluntary/third sector",
)

PLACEMENT_LOCATION_CODES = ("a) In", "b) Out")

LA_OF_PLACEMENT_SPECIAL = (
    "NIR - Child placed in Northern Ireland",
    "WAL - Child placed in Wales",
    "SCO - Child placed in Scotland",
    "NUK - Child placed outside the UK",
    "CON - Child placed in confidential placement",
)
"""Special values of "LA of Placement"; otherwise the column holds an English local authority (free text)."""

ELIGIBILITY_CODES = ("a) Relevant child", "b) Former relevant child", "c) Qualifying care leaver", "d) Eligible child")

IN_TOUCH_CODES = ("a) Yes", "b) No", "c) Died", "d) Refu", "e) NREQ", "f) Rhom")

ACCOMMODATION_CODES = (
    "B: Parents/relatives",
    "C: Community home/residential care",
    "D: Semi-independent, transitional accommodation and self-contained accommodation",
    "E: Supported lodgings",
    "G: Abroad",
    "H: Deported",
    "K: Ordinary lodgings, without formal support",
    "R: Residence not known",
    "S: No fixed abode/homeless",
    "T: Foyers and similar supported accommodation",
    "U: Independent living",
    "V: Emergency accommodation",
    "W: Bed and breakfast",
    "X: In custody",
    "Y: Other accommodation",
    "Z: With former foster carers",
)

SUITABILITY_CODES = ("a) Suitable", "b) Unsuitable")

ACTIVITY_CODES = (
    "F1: Full time in higher education",
    "P1: Part time in higher education",
    "F2: Full time in education other than higher",
    "P2: Part time in education other than higher",
    "F3: Full time in training or employment",
    "P3: Part time in training or employment",
    "F4: Young person engaged full time in an apprenticeship",
    "P4: Young person engaged part time in an apprenticeship",
    "F5: Young person engaged full time in training or employment (not apprenticeship)",
    "P5: Young person engaged part time in training or employment (not apprenticeship)",
    "G4: Not in education, employment or training - illness or disability",
    "G5: Not in education, employment or training - other",
    "G6: Not in education, employment or training - pregnancy or parenting",
)

NO_LONGER_ADOPTION_CODES = (
    "RD1 - The child's needs changed subsequent to the decision",
    "RD2 - The Court did not make a placement order",
    "RD3 - Prospective adopters could not be found",
    "RD4 - Any other reason",
)

LEAVING_ADOPTION_CODES = (
    "1 - Adopter withdrew from process",
    "2 - Process put on hold",
    "3 - Application refused",
)


# --- column builders ---------------------------------------------------------------------------------------------


def _date(
    header: str, key: str, required: bool = False, variants: tuple[str, ...] = (), may_be_all_blank: bool = False
) -> Column:
    """A dd/mm/yyyy date column."""
    return Column(header, key, "date", required=required, variants=variants, may_be_all_blank=may_be_all_blank)


def _cat(
    header: str,
    key: str,
    codes: tuple[str, ...],
    required: bool = False,
    variants: tuple[str, ...] = (),
    may_be_all_blank: bool = False,
) -> Column:
    """A coded (category) column."""
    return Column(
        header, key, "category", required=required, variants=variants, codes=codes, may_be_all_blank=may_be_all_blank
    )


def _int(header: str, key: str, required: bool = False, variants: tuple[str, ...] = ()) -> Column:
    """A count column."""
    return Column(header, key, "integer", required=required, variants=variants)


CHILD_ID = Column(
    "Child Unique ID",
    "child_id",
    "id",
    required=True,
    variants=("Child ID", "Unique Child ID", "Child Identifier", "Child Unique Identifier", "Person ID", "Client ID"),
    identifying=True,
)
GENDER = _cat("Gender", "gender", GENDER_CODES, required=True, variants=("Sex",))
ETHNICITY = _cat("Ethnicity", "ethnicity", ETHNICITY_CODES, required=True, variants=("Ethnic Origin", "Ethnic Group"))
DATE_OF_BIRTH = Column("Date of Birth", "date_of_birth", "date", variants=("DOB", "Birth Date"), identifying=True)
AGE = Column("Age of Child (Years)", "age", "years", variants=("Age", "Age (Years)", "Age of Child", "Age in Years"))
DISABILITY = _cat(
    "Does the Child have a Disability",
    "disability",
    YES_NO_UNKNOWN,
    required=True,
    variants=("Disability", "Does the child have a disability?", "Disabled"),
)
ALLOCATED_TEAM = Column("Allocated Team", "allocated_team", "text", required=True, variants=("Team",))
ALLOCATED_WORKER = Column(
    "Allocated Worker",
    "allocated_worker",
    "text",
    required=True,
    variants=("Allocated Social Worker", "Worker", "Social Worker"),
    identifying=True,
    may_be_all_blank=True,  # nobody allocated
)

COMMON = (CHILD_ID, GENDER, ETHNICITY, DATE_OF_BIRTH, AGE)
"""The child columns every list 1-9 starts with."""

ALLOCATION = (ALLOCATED_TEAM, ALLOCATED_WORKER)


# --- the eleven lists --------------------------------------------------------------------------------------------

_LIST_1 = ListSpec(
    1,
    "List 1",
    "Contacts",
    (
        *COMMON,
        _date("Date of Contact", "contact_date", required=True, variants=("Contact Date",)),
        _cat("Contact Source", "contact_source", SOURCE_CODES, required=True, variants=("Source of Contact",)),
    ),
    ("child_id", "contact_date", "contact_source"),
)

_LIST_2 = ListSpec(
    2,
    "List 2",
    "Early help assessments",
    (
        *COMMON,
        _date(
            "Assessment start date",
            "eha_start_date",
            required=True,
            variants=("Early Help Assessment Start Date", "EHA Start Date"),
        ),
        _date(
            "Assessment completion date",
            "eha_completion_date",
            variants=("Early Help Assessment Completion Date", "EHA Completion Date", "EHA End Date"),
            may_be_all_blank=True,
        ),
        Column(
            "Organisation completing assessment",
            "eha_organisation",
            "text",
            required=True,
            variants=("Organisation", "EHA Completed By"),
        ),
    ),
    ("child_id", "eha_start_date"),
)

_LIST_3 = ListSpec(
    3,
    "List 3",
    "Referrals",
    (
        *COMMON,
        _date("Date of referral", "referral_date", required=True, variants=("Referral Date",)),
        _cat("Referral Source", "referral_source", SOURCE_CODES, required=True, variants=("Source of Referral",)),
        _cat("Referral NFA?", "referral_nfa", YES_NO, required=True, variants=("NFA", "Referral NFA")),
        _int(
            "Number of Referrals in Last 12 Months",
            "referrals_last_12m",
            required=True,
            variants=("Referrals in Last 12 Months", "Number of Referrals Last 12 Months"),
        ),
        *ALLOCATION,
    ),
    ("child_id", "referral_date"),
)

_LIST_4 = ListSpec(
    4,
    "List 4",
    "Assessments",
    (
        *COMMON,
        DISABILITY,
        _date(
            "Continuous Assessment Start Date",
            "assessment_start_date",
            required=True,
            variants=("Assessment Start Date", "Continuous Assessment Start"),
        ),
        _cat(
            "Child Seen During Continuous Assessment",
            "child_seen",
            YES_NO_UNKNOWN,
            required=True,
            variants=("Child Seen", "Child Seen During Assessment"),
        ),
        _date(
            "Continuous Assessment Date of Authorisation",
            "assessment_authorised_date",
            variants=(
                "Assessment Authorisation Date",
                "Date of Authorisation",
                "Assessment Date of Authorisation",
                "Assessment Completion Date",
                "Date Assessment Completed",
            ),
            may_be_all_blank=True,
        ),
        _cat(
            "Was the child assessed as requiring LA children's social care support?",
            "assessment_outcome_csc",
            YES_NO_UNKNOWN,
            variants=(
                "Was the child assessed as requiring LA childrens social care support",
                "Was the child assessed as being in need at assessment?",
            ),
            may_be_all_blank=True,
        ),
        *ALLOCATION,
    ),
    ("child_id", "assessment_start_date"),
)

_LIST_5 = ListSpec(
    5,
    "List 5",
    "Section 47 enquiries and ICPCs",
    (
        *COMMON,
        DISABILITY,
        _date(
            "Strategy discussion initiating Section 47 Enquiry Start Date",
            "s47_start_date",
            required=True,
            variants=(
                "Section 47 Enquiry Start Date",
                "S47 Start Date",
                "S47 Enquiry Start Date",
                "Strategy Discussion Date",
                "Date of Strategy Discussion",
            ),
        ),
        _cat(
            "Was an Initial Child Protection Conference deemed unnecessary?",
            "icpc_unnecessary",
            YES_NO,
            variants=(
                "ICPC Deemed Unnecessary",
                "Initial Child Protection Conference Not Required",
                "ICPC Not Required",
            ),
            may_be_all_blank=True,
        ),
        _date(
            "Date of Initial Child Protection Conference",
            "icpc_date",
            variants=("ICPC Date", "Date of ICPC", "Initial Child Protection Conference Date"),
            may_be_all_blank=True,
        ),
        _cat(
            "Did the Initial Child Protection Conference Result in a Child Protection Plan",
            "icpc_outcome_cpp",
            YES_NO,
            variants=(
                "ICPC Resulted in CP Plan",
                "ICPC Resulted in a Child Protection Plan",
                "Did the ICPC Result in a Child Protection Plan",
            ),
            may_be_all_blank=True,
        ),
        _int(
            "Number of Section 47 Enquiries in the last 12 months",
            "s47s_last_12m",
            required=True,
            variants=("Number of S47 Enquiries in the last 12 months",),
        ),
        _int("Number of ICPCs in the last 12 months", "icpcs_last_12m", required=True),
        *ALLOCATION,
    ),
    ("child_id", "s47_start_date"),
)

_LIST_6 = ListSpec(
    6,
    "List 6",
    "Children in need",
    (
        *COMMON,
        DISABILITY,
        _date("CIN Start Date", "cin_start_date", variants=("Child in Need Start Date", "CIN Episode Start Date")),
        _cat(
            "Primary Need Code",
            "cin_primary_need",
            NEED_CODES,
            required=True,
            variants=("Primary Need", "Category of Need"),
        ),
        _date("Date Child Was Last Seen", "date_last_seen", variants=("Date Last Seen", "Last Seen Date")),
        _date(
            "CIN Closure Date",
            "cin_closure_date",
            variants=("Child in Need Closure Date", "CIN Episode End Date", "Closure Date"),
            may_be_all_blank=True,
        ),
        _cat(
            "Reason for Closure",
            "cin_closure_reason",
            CIN_CLOSURE_CODES,
            variants=("Closure Reason",),
            may_be_all_blank=True,
        ),
        _cat("Case Status", "case_status", CASE_STATUS_CODES, required=True),
        *ALLOCATION,
    ),
    ("child_id", "cin_start_date"),
)

_LIST_7 = ListSpec(
    7,
    "List 7",
    "Child protection",
    (
        *COMMON,
        DISABILITY,
        _date(
            "Child Protection Plan Start Date",
            "cpp_start_date",
            required=True,
            variants=("CP Plan Start Date", "CPP Start Date", "CP Start Date"),
        ),
        _cat(
            "Initial Category of Abuse",
            "cpp_category",
            ABUSE_CODES,
            required=True,
            variants=("Category of Abuse", "Initial Category"),
        ),
        _cat("Latest Category of Abuse", "cpp_latest_category", ABUSE_CODES, required=True),
        _date(
            "Date of the Last Statutory Visit",
            "last_statutory_visit_date",
            variants=("Date of Last Statutory Visit", "Last Statutory Visit Date"),
        ),
        _cat("Was the Child Seen Alone?", "seen_alone", YES_NO_UNKNOWN, variants=("Child Seen Alone",)),
        _date(
            "Date of latest review conference",
            "latest_review_date",
            variants=("Latest Review Conference Date", "Date of Latest Review"),
        ),
        _date(
            "Child Protection Plan End Date",
            "cpp_end_date",
            variants=("CP Plan End Date", "CPP End Date", "CP End Date"),
            may_be_all_blank=True,
        ),
        _cat(
            "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months (Y/N)",
            "epo_police_protection_6m",
            YES_NO,
            required=True,
            variants=("Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months",),
        ),
        _int(
            "Number of Previous Child Protection Plans",
            "previous_cpp_count",
            required=True,
            variants=("Previous Child Protection Plans", "Number of Previous CP Plans"),
        ),
        *ALLOCATION,
    ),
    ("child_id", "cpp_start_date"),
)

_LIST_8 = ListSpec(
    8,
    "List 8",
    "Children in care",
    (
        *COMMON,
        _cat(
            "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
            "uasc",
            YES_NO,
            required=True,
            variants=(
                "UASC",
                "Unaccompanied Asylum Seeking Child",
                "Unaccompanied Asylum Seeking Child (UASC)",
                "UASC within the Last 12 Months",
            ),
        ),
        DISABILITY,
        _date(
            "Date Started to be Looked After",
            "cic_start_date",
            required=True,
            variants=(
                "Date Started to be Looked After Child",
                "Date Became Looked After",
                "Date Started to be in Care",
                "Date Started in Care",
                "CLA Start Date",
            ),
        ),
        _cat("Child's Category of Need", "category_of_need", NEED_CODES, required=True, variants=("Category of Need",)),
        _cat(
            "Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)",
            "subsequent_period_12m",
            YES_NO,
            required=True,
            variants=(
                "Second or Subsequent Period of Being Looked After",
                "Is this a second or subsequent episode of being a Looked After Child within the last 12 months (Y/N)",
                "Is this a second or subsequent period of being in care within the last 12 months",
            ),
        ),
        _date(
            "Start date of current legal status",
            "legal_status_start_date",
            required=True,
            variants=("Legal Status Start Date",),
        ),
        _cat("Child's Legal Status", "legal_status", LEGAL_STATUS_CODES, required=True, variants=("Legal Status",)),
        _date(
            "Date of Latest Statutory Review",
            "latest_review_date",
            variants=("Latest Statutory Review Date", "Date of Latest Review"),
        ),
        _date(
            "Date of Last Social Work Visit",
            "last_visit_date",
            variants=(
                "Last Social Work Visit Date",
                "Date of Last Social Worker Visit",
                "Date of Last Statutory Visit",
                "Last Visit Date",
            ),
        ),
        _cat(
            "What is the permanence plan for this child?",
            "permanence_plan",
            PERMANENCE_PLAN_CODES,
            variants=("Permanence Plan",),
        ),
        _date(
            "Date of Last IRO Visit / Contact to the Child",
            "last_iro_contact_date",
            variants=("Date of Last IRO Visit", "Last IRO Visit Date"),
        ),
        _date(
            "Date of Last Health Assessment",
            "last_health_assessment_date",
            variants=("Last Health Assessment Date", "Date of Last Health Check"),
        ),
        _date("Date of Last Dental Check", "last_dental_check_date", variants=("Last Dental Check Date",)),
        _int(
            "Number of Placements in the Last 12 months",
            "placements_last_12m",
            required=True,
            variants=("Placements in the Last 12 Months",),
        ),
        _date(
            "Date Ceased to be Looked After",
            "cic_end_date",
            variants=("Date Ceased Looked After", "Date Ceased to be in Care", "Date Ceased", "CLA End Date"),
            may_be_all_blank=True,
        ),
        _cat(
            "Reason Ceased to be Looked After",
            "cic_end_reason",
            CEASED_REASON_CODES,
            variants=("Reason Ceased", "Reason Ceased to be in Care", "Reason Episode Ceased"),
            may_be_all_blank=True,
        ),
        _date(
            "Start Date of Most Recent Placement",
            "placement_start_date",
            required=True,
            variants=("Placement Start Date", "Date of Most Recent Placement"),
        ),
        _cat("Placement Type", "placement_type", PLACEMENT_TYPE_CODES, required=True),
        _cat("Placement Provider", "placement_provider", PLACEMENT_PROVIDER_CODES, required=True),
        Column(
            "Placement postcode",
            "placement_postcode",
            "text",
            required=True,
            variants=("Placement Post Code",),
            identifying=True,
        ),
        Column("URN of Placement", "placement_urn", "text", variants=("Placement URN", "URN")),
        _cat(
            "Placement Location",
            "placement_location",
            PLACEMENT_LOCATION_CODES,
            required=True,
            variants=("Placement Inside or Outside LA", "In or Out of Area"),
        ),
        Column("LA of Placement", "placement_la", "text", required=True, variants=("Placement LA",)),
        _int(
            "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months",
            "missing_episodes",
            required=True,
            variants=("Missing Episodes", "Number of Missing Episodes in the last 12 months"),
        ),
        _int(
            "Number of Episodes the Child has been 'Absent' from their Placement in the last 12 months",
            "absent_episodes",
            required=True,
            variants=("Absent Episodes", "Number of Absent Episodes in the last 12 months"),
        ),
        _cat(
            "Was the child offered a Return Interview after their last missing episode (Y/N)?",
            "return_interview_offered",
            YES_NO_UNKNOWN,
            variants=("Return Interview Offered",),
            may_be_all_blank=True,
        ),
        _cat(
            "Did the child accept a Return Interview after their last missing episode (Y/N)?",
            "return_interview_accepted",
            YES_NO_UNKNOWN,
            variants=("Return Interview Accepted",),
            may_be_all_blank=True,
        ),
        *ALLOCATION,
    ),
    ("child_id", "cic_start_date"),
)

_LIST_9 = ListSpec(
    9,
    "List 9",
    "Care leavers",
    (
        *COMMON,
        _cat(
            "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
            "uasc",
            YES_NO,
            variants=(
                "UASC",
                "Unaccompanied Asylum Seeking Child",
                "Unaccompanied Asylum Seeking Child (UASC)",
                "UASC or formerly UASC",
            ),
        ),
        DISABILITY,
        *ALLOCATION,
        Column(
            "Allocated Personal Advisor",
            "personal_advisor",
            "text",
            required=True,
            variants=("Personal Advisor", "Allocated Personal Adviser", "Personal Adviser"),
            identifying=True,
        ),
        _cat("Eligibility Category", "eligibility", ELIGIBILITY_CODES, required=True, variants=("Eligibility",)),
        _date(
            "Latest Pathway Plan Review Date",
            "pathway_plan_date",
            variants=(
                "Pathway Plan Review Date",
                "Date of Latest Pathway Plan",
                "Date of Latest Pathway Plan Review",
                "Pathway Plan Date",
            ),
        ),
        _cat("LA in Touch", "in_touch", IN_TOUCH_CODES, required=True, variants=("In Touch", "LA in Touch with")),
        _date(
            "Latest Date of Contact",
            "latest_contact_date",
            variants=("Date of Latest Contact", "Last Contact Date"),
        ),
        _cat(
            "Type of Accommodation",
            "accommodation_type",
            ACCOMMODATION_CODES,
            variants=("Accommodation", "Accommodation Type"),
        ),
        _cat(
            "Suitability of Accommodation",
            "accommodation_suitable",
            SUITABILITY_CODES,
            variants=("Accommodation Suitability", "Suitable Accommodation"),
        ),
        _cat("Activity Status", "activity", ACTIVITY_CODES, variants=("Activity", "Main Activity", "EET Status")),
    ),
    ("child_id",),
)

_LIST_10 = ListSpec(
    10,
    "List 10",
    "Adoption",
    (
        CHILD_ID,
        Column("Family identifier", "family_id", "id", variants=("Family ID",), identifying=True),
        GENDER,
        ETHNICITY,
        DATE_OF_BIRTH,
        AGE,
        DISABILITY,
        _date(
            "Date the Child Entered Care",
            "cic_entered_care_date",
            required=True,
            variants=("Date Entered Care", "Date Child Entered Care"),
        ),
        _date(
            "Date of Decision that Child Should be Placed for Adoption",
            "adoption_decision_date",
            required=True,
            variants=("Date of Decision Child Should be Placed for Adoption", "ADM Decision Date", "SHOBPA Date"),
        ),
        _date(
            "Date of Placement Order", "placement_order_date", variants=("Placement Order Date",), may_be_all_blank=True
        ),
        _date(
            "Date of Matching Child and Prospective Adopters",
            "matched_date",
            variants=("Date Matched", "Matching Date", "Date of Match"),
            may_be_all_blank=True,
        ),
        _date(
            "Date Placed for Adoption",
            "placed_for_adoption_date",
            variants=("Placed for Adoption Date",),
            may_be_all_blank=True,
        ),
        _date(
            "Date of Adoption Order", "adoption_order_date", variants=("Adoption Order Date",), may_be_all_blank=True
        ),
        _date(
            "Date of Decision that Child Should No Longer be Placed for Adoption",
            "no_longer_adoption_date",
            variants=("Date of Decision Child Should No Longer be Placed for Adoption",),
            may_be_all_blank=True,
        ),
        _cat(
            "Reason Why Child No Longer Placed for Adoption",
            "no_longer_adoption_reason",
            NO_LONGER_ADOPTION_CODES,
            variants=("Reason No Longer Placed for Adoption",),
            may_be_all_blank=True,
        ),
        _date(
            "Date the child was placed for fostering in FFA or concurrent planning placement",
            "ffa_placement_date",
            variants=("Date Placed in FFA or Concurrent Planning Placement", "FFA Placement Date"),
            may_be_all_blank=True,
        ),
    ),
    ("child_id", "adoption_decision_date"),
)

_LIST_11 = ListSpec(
    11,
    "List 11",
    "Adopters",
    (
        Column(
            "Individual adopter identifier",
            "adopter_id",
            "id",
            required=True,
            variants=("Adopter ID", "Adopter identifier"),
            identifying=True,
        ),
        Column("Family identifier", "family_id", "id", variants=("Family ID",), identifying=True),
        GENDER,
        ETHNICITY,
        _cat("Disability", "disability", YES_NO, required=True, variants=("Does the adopter have a disability",)),
        Column(
            "Is the (prospective) adopter fostering for adoption?",
            "ffa_adopter",
            "text",
            required=True,
            variants=("Is the adopter fostering for adoption", "Fostering for Adoption"),
        ),
        _date("Date enquiry received", "enquiry_date", required=True, variants=("Enquiry Date",)),
        _date("Date Stage 1 started", "stage1_start_date", variants=("Stage 1 Start Date",), may_be_all_blank=True),
        _date("Date Stage 1 ended", "stage1_end_date", variants=("Stage 1 End Date",), may_be_all_blank=True),
        _date("Date Stage 2 started", "stage2_start_date", variants=("Stage 2 Start Date",), may_be_all_blank=True),
        _date("Date Stage 2 ended", "stage2_end_date", variants=("Stage 2 End Date",), may_be_all_blank=True),
        _date(
            "Date application submitted",
            "application_date",
            variants=("Application Submitted Date",),
            may_be_all_blank=True,
        ),
        _date(
            "Date application approved",
            "approval_date",
            variants=("Approval Date", "Date Approved"),
            may_be_all_blank=True,
        ),
        _date(
            "Date adopter matched with child(ren)", "matched_date", variants=("Date Matched",), may_be_all_blank=True
        ),
        _date(
            "Date child/children placed with adopter(s)",
            "placed_date",
            variants=("Date Placed",),
            may_be_all_blank=True,
        ),
        _int("No. of children placed", "children_placed", variants=("Number of children placed",)),
        _date(
            "Date of Adoption Order", "adoption_order_date", variants=("Adoption Order Date",), may_be_all_blank=True
        ),
        _date(
            "Date of leaving adoption process",
            "leaving_date",
            variants=("Date Left Adoption Process",),
            may_be_all_blank=True,
        ),
        _cat(
            "Reason for leaving adoption process",
            "leaving_reason",
            LEAVING_ADOPTION_CODES,
            variants=("Reason for Leaving",),
            may_be_all_blank=True,
        ),
    ),
    ("adopter_id", "enquiry_date"),
)

LISTS: dict[int, ListSpec] = {
    spec.number: spec
    for spec in (_LIST_1, _LIST_2, _LIST_3, _LIST_4, _LIST_5, _LIST_6, _LIST_7, _LIST_8, _LIST_9, _LIST_10, _LIST_11)
}
"""All eleven Annex A lists, by number."""


# --- helpers -----------------------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LIST_NAME = re.compile(r"^(?:annexa)?(?:list)?(\d{1,2})(?!\d)(.*)$")


def normalise_header(text: str) -> str:
    """Lower-case with everything but letters and digits removed: "Age of Child (Years)" -> "ageofchildyears"."""
    return _NON_ALNUM.sub("", text.lower())


def list_by_sheet(name: str) -> ListSpec | None:
    """The list a sheet or file name refers to: "List 1", "list1", "List_1", "1", "Contacts", "List 1 - Contacts"."""
    norm = normalise_header(name)
    if not norm:
        return None
    match = _LIST_NAME.match(norm)
    if match:
        spec = LISTS.get(int(match.group(1)))
        rest = match.group(2)
        if spec is not None and (not rest or rest.startswith(normalise_header(spec.title))):
            return spec
        return None
    for spec in LISTS.values():
        if norm == normalise_header(spec.title):
            return spec
    return None


def header_aliases(spec: ListSpec) -> dict[str, str]:
    """Map each normalised header (canonical and variants) of ``spec`` to its column key."""
    aliases: dict[str, str] = {}
    for col in spec.columns:
        for header in (col.header, *col.variants):
            aliases.setdefault(normalise_header(header), col.key)
    return aliases
