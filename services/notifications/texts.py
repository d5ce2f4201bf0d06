"""The Danish words notices are written in: the handbook's terms for areas, services, roles and
deadline rules, and dates and amounts the way a Danish reader writes them. No I/O.

Notifications names the advisory services and deadline rules itself (it shares no code with the
services that own them); an id it does not know is shown as the id, so a new rule or service
still gives a readable notice, and `tests/unit/test_notice_texts.py` asks for its Danish name.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

_MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)

MAIN_AREAS = {
    "adults": "voksne",
    "children_youth": "børn og unge",
    "special_education": "specialundervisning",
    "other": "andet",
}
"""Hovedområder (H 1), as they read inside a sentence."""

SERVICES = {
    "phone": "Telefonrådgivning",
    "phone_extended": "Udvidet telefonrådgivning – for fagpersoner",
    "citizen_course": "Rådgivningsforløb – for borgere",
    "single_case": "Rådgivningsforløb i en enkeltsag",
    "mini_single_case": "Mini-rådgivningsforløb i en enkeltsag – for fagpersoner",
    "group_course": "Rådgivningsforløb vedrørende flere borgere – for fagpersoner",
    "mini_group_course": "Mini-rådgivningsforløb vedrørende flere borgere – for fagpersoner",
    "theme_course": "Temaforløb – for fagpersoner",
    "adoption_course": "Rådgivningsforløb om adoption uden samtykke – for myndighedsrådgivere",
    "adoption_theme_days": "Temadage om adoption uden samtykke",
    "casework_course": "Rådgivningsforløb om sagsbehandling – for myndighedsrådgivere",
    "mini_casework_course": "Mini-rådgivningsforløb om sagsbehandling – for myndighedsrådgivere",
}
"""The advisory services by the handbook's names (H ch. 3)."""

ROLES = {
    "consultant": "fagkonsulenten",
    "specialist": "specialisten",
    "manager": "lederen",
    "support": "Team Support",
    "supplier_admin": "leverandørens administrative medarbejder",
    "kas_supplier": "KaS-leverandøren",
}
"""Who must act, in the definite form a sentence names them with."""

DEADLINE_RULES = {
    "intake.phone_extended_form": (
        "formularen om udvidet telefonrådgivning til Team Support (før kl. 14)"
    ),
    "visitation.first_contact": "fagkonsulentens første kontakt til henvender efter fordelingen",
    "visitation.supplier_answer": "leverandørens svar ('ja tak' eller 'nej tak') på opgaven",
    "visitation.specialist_contacts_inquirer": (
        "specialistens kontakt til henvender for at beramme det afklarende møde"
    ),
    "visitation.clarifying_meeting_offered": "tilbud til henvender om et afklarende møde",
    "visitation.clarifying_meeting_preferred": (
        "det afklarende møde (anbefalet tidsramme efter accept af opgaven)"
    ),
    "visitation.summary_note": "opsamlingsnotatet fra det afklarende møde",
    "visitation.phone_extended_supplier_contact": (
        "fagkonsulentens kontakt til en leverandør om udvidet telefonrådgivning"
    ),
    "leverance.agreement_proposal": "forslaget til leveranceaftale",
    "leverance.log_consumption": (
        "logning af forbrugte timer og øvrigt forbrug for aktiviteten planlagt {start}"
    ),
    "leverance.course_duration": "det afsluttende møde inden for forløbets varighed",
    "leverance.financial_statement": "afslutning af leverancen og indsendelse af økonomiskemaet",
    "leverance.statement_approval": (
        "fagkonsulentens gennemgang af sagen og godkendelse af økonomiskemaet"
    ),
    "leverance.anchoring_agenda": (
        "dagsorden og skabelon til forankringsplan til tovholderen før forankringsmødet"
    ),
    "leverance.central_course_closing": (
        "journalisering af de sidste akter og afslutning af forløbet i den centrale enhed"
    ),
    "documents.access_decision_part": (
        "svar på anmodningen om aktindsigt i afgørelsesdelen (forvaltningsloven)"
    ),
    "documents.access_gdpr_part": (
        "svar på anmodningen om indsigt i personoplysninger (databeskyttelsesforordningens art. 15)"
    ),
    "documents.access_files_act_part": "svar på anmodningen om aktindsigt (offentlighedsloven)",
    "documents.concern_report_receipt": "kommunens kvittering for modtagelsen af underretningen",
}
"""What each deadline rule asks for, as "Frist på sag k1: <...> senest 6. december 2026" reads
(DOMAIN §7); `{start}` is the day the deadline runs from."""


def sentence(text: str) -> str:
    """Free text (a reason, objections) ended as a sentence, so the notice reads on after it."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def danish_date(day: date) -> str:
    """A day as Danes write it in a letter: 6. december 2026."""
    return f"{day.day}. {_MONTHS[day.month - 1]} {day.year}"


def kroner(amount: Decimal) -> str:
    """An amount in DKK as Danes write it: 155.800,00 kr."""
    grouped = f"{amount:,.2f}"
    return grouped.replace(",", "_").replace(".", ",").replace("_", ".") + " kr."


def main_area(area: str) -> str:
    """The main area's Danish name, or the id when it is not one we know."""
    return MAIN_AREAS.get(area, area)


def service(service_id: str) -> str:
    """The advisory service's Danish name, or the id when it is not one we know."""
    return SERVICES.get(service_id, service_id)


def role(role_id: str) -> str:
    """The role in the definite form ("specialisten"), or the id when it is not one we know."""
    return ROLES.get(role_id, role_id)


def deadline_rule(rule: str, *, start: date) -> str:
    """What a deadline is for ("opsamlingsnotatet fra det afklarende møde")."""
    known = DEADLINE_RULES.get(rule)
    if known is None:
        return f"sagsskridtet {rule}"
    return known.format(start=danish_date(start))
