"""Every RPC the services offer, walked from the generated descriptors, and Hypothesis
strategies that build its request message field by field from the message descriptor."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, get_args

from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

from services.contracts.common import MainArea
from services.contracts.documents import DocumentKind
from services.contracts.intake import (
    ConsentBasis,
    ContactChannel,
    ContactOutcome,
    CourseDecision,
    InternalKind,
)
from services.contracts.visitation import ClosingKind, InformationArea, OutsideScopeReason, Subject
from services.intake.kas.extracts import ExtractKind
from services.intake.kas.model import KasStatus, MunicipalityBasis
from services.leverance.domain.anchoring import AnchoringKind
from services.leverance.domain.reference import (
    ActivityKind,
    ClosingStepKind,
    ExpenseCategory,
    SupplierKind,
)
from services.leverance.domain.supplier_csv import COLUMNS
from services.visitation.catalog import ComplexityArea
from services.visitation.domain.model import CaseStatus, OfferStatus
from tests.conftest import ROOT

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
EDGE_INTS = (0, 1, -1, 2, 100, 2**31 - 1, -(2**31), 2**31, 2**53, 2**63 - 1, -(2**63))
EXTREME_INTS = (2**63 - 1, 2**31 - 1, -(2**63), -(2**31))
MANY = (1_000, 20_000)
"""How many items a repeated field gets when the fuzz asks for "many"."""

DATES = (
    "0001-01-01",
    "9999-12-31",
    "1000-01-01",
    "1899-12-31",
    "2101-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-05-08",
    "2026-05-19",
    date.today().isoformat(),
    "0000-00-00",
    "20260508",
    "2026-W19-5",
    "2026-05-08T10:00:00",
    " 2026-05-08 ",
    "08-05-2026",
    "0001-01",
    "9999-12",
    "2026-13",
    "2026-05",
)
TEXTS = (
    "",
    " ",
    "x" * 101,
    "x" * 201,
    "x" * 2_001,
    "x" * 10_001,
    "a\r\nb",
    "a\rb",
    "\r\n",
    "line\n",
    "0101901234",
    "010190-1234",
    "my CPR is 010190-1234",
    "\x00",
    "æøå ÆØÅ",
    "%s%n{0}",
    "NaN",
    "-inf",
    "1e400",
    "-1",
    "0",
    "1,5",
    "12.345",
    "999999999999.99",
    "1000000000000",
)
PLAUSIBLE_DATES = (
    date.today().isoformat(),
    (date.today() - timedelta(days=1)).isoformat(),
    (date.today() + timedelta(days=14)).isoformat(),
    "2026-05-19",
)
SERVICES = ("single_case", "mini_single_case", "citizen_course", "group_course", "phone_extended")
PLAUSIBLE: dict[str, tuple[str, ...]] = {
    "main_area": get_args(MainArea),
    "status": (*get_args(CaseStatus), *get_args(OfferStatus), *get_args(KasStatus)),
    "kind": (
        *get_args(InternalKind),
        *get_args(AnchoringKind),
        *get_args(DocumentKind),
        *get_args(SupplierKind),
        *get_args(ActivityKind),
    ),
    "channel": get_args(ContactChannel),
    "outcome": get_args(ContactOutcome),
    "decision": get_args(CourseDecision),
    "area": get_args(InformationArea),
    "reason": (*get_args(OutsideScopeReason), *get_args(ClosingKind)),
    "subject": get_args(Subject),
    "step": get_args(ClosingStepKind),
    "expense_category": get_args(ExpenseCategory),
    "municipality_basis": get_args(MunicipalityBasis),
    "extract": get_args(ExtractKind),
    "basis": get_args(ConsentBasis),
    "complexity_areas": get_args(ComplexityArea),
    "received_via": ("post", "email", "form"),
    "format": ("csv", "xlsx"),
    "view": ("my_ongoing", "my_closed", "my_inquiries", "search"),
    "requested_service": SERVICES,
    "service_id": SERVICES,
    "services": SERVICES,
    "type": ("municipal_administration", "citizen", "ppr"),
    "inquirer_type": ("municipal_administration", "citizen", "ppr"),
    "inquirer_role": ("authority_caseworker", "parent", "ppr"),
    "municipality_code": ("461", "0", "101"),
    "target_groups": ("autism_spectrum", "anxiety"),
    "month": ("2026-05", date.today().strftime("%Y-%m")),
    "hours": ("1", "2.5", "0"),
    "amount_dkk": ("100.00", "0"),
}
"""What a field of this name plausibly holds, so that a request gets past its other fields."""
PLAUSIBLE_INTS: dict[str, tuple[int, ...]] = {
    "limit": (10,),
    "year": (2026,),
    "min_age": (0,),
    "max_age": (17,),
    "citizen_age_years": (9,),
    "planned_duration_months": (6,),
    "free_capacity": (2,),
}
DATE_HINTS = ("_on", "date", "_from", "_to", "as_of", "_due", "month")


@dataclass(frozen=True)
class Rpc:
    """One RPC: the platform service serving it, its path, its message classes and whether the
    client or the server streams (a streaming request is fuzzed as a stream of one message)."""

    service: str
    path: str
    descriptor: Descriptor
    request: type[Message]
    response: type[Message]
    client_streaming: bool = False
    server_streaming: bool = False

    @property
    def name(self) -> str:
        """Service.Method, as a test id."""
        return self.path.rsplit(".", 1)[-1].replace("/", ".")


def _rpc(service: str, full_service: str, method: MethodDescriptor) -> Rpc:
    return Rpc(
        service=service,
        path=f"/{full_service}/{method.name}",
        descriptor=method.input_type,
        request=GetMessageClass(method.input_type),
        response=GetMessageClass(method.output_type),
        client_streaming=method.client_streaming,
        server_streaming=method.server_streaming,
    )


def all_rpcs() -> list[Rpc]:
    """Every RPC of every generated service module (vias/<service>/v1/*_pb2.py)."""
    found = []
    for path in sorted((ROOT / "vias").glob("*/v1/*_pb2.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        module = importlib.import_module(".".join(relative.parts))
        platform_service = relative.parts[1]
        for service in module.DESCRIPTOR.services_by_name.values():
            found += [_rpc(platform_service, service.full_name, m) for m in service.methods]
    return found


def _dateish(name: str) -> bool:
    return name == "on" or any(hint in name for hint in DATE_HINTS)


SUPPLIER_ROW = [
    "fuzz-supplier",
    "Fuzz Center",
    "self_owning",
    "nej",
    "true",
    "Vej 1",
    "5000",
    "Odense",
    "461",
    "1",
    "c-1",
    "adults",
    "single_case",
    "2024-01-01",
    "2028-12-31",
    "18",
    "99",
    "autism_spectrum",
    "",
    "900.00",
    "3.79",
    "450.00",
]
"""A valid supplier CSV row, in the order of COLUMNS."""


def _csv_text(ids: Sequence[str]) -> st.SearchStrategy[str]:
    """A supplier CSV: the real header (or a broken one), valid rows with one cell fuzzed or
    rows of fuzzed cells, any line end."""
    cell = st.sampled_from(("", "x", "a,b", '"q"', "1", "ja", *ids, *DATES[:3], *TEXTS[6:12]))

    def with_cell(index: int, value: str) -> list[str]:
        return [value if i == index else c for i, c in enumerate(SUPPLIER_ROW)]

    mutated = st.builds(with_cell, st.integers(0, len(SUPPLIER_ROW) - 1), cell)
    fuzzed = st.lists(cell, min_size=len(COLUMNS) - 2, max_size=len(COLUMNS) + 1)
    row = mutated | fuzzed
    header = st.sampled_from((list(COLUMNS), [*COLUMNS[:-1], "extra"], list(COLUMNS)[::-1]))
    line_end = st.sampled_from(("\n", "\r\n", "\r", "\n\r"))

    def render(head: list[str], rows: list[list[str]], end: str, bom: bool) -> str:
        lines = [",".join(head), *(",".join(r) for r in rows)]
        return ("\ufeff" if bom else "") + end.join(lines) + end

    return st.builds(
        render,
        header,
        st.lists(row, max_size=4) | row.map(lambda r: [r] * 6_000),
        line_end,
        st.booleans(),
    )


class RequestStrategies:
    """Strategies for request messages. Each field mostly gets what it plausibly holds (a real
    id of the seeded world, a date near today, a known code), else an edge case (dates years
    off, huge numbers, long texts, CR/LF, CPR-like digits) or arbitrary text; so most requests
    get past all but one or two of their fields.

    A repeated field at the top of a request sometimes gets many copies of one lean item (short
    texts, small lists), so the request stays within the message-size limit."""

    def __init__(self, values: Mapping[str, Sequence[str]]) -> None:
        self.values = {**PLAUSIBLE, **{k: tuple(v) for k, v in values.items()}}
        self.ids = tuple(dict.fromkeys(i for v in values.values() for i in v))

    def plausible(self, name: str) -> tuple[str, ...]:
        singular = name.removesuffix("s")
        if found := self.values.get(name) or self.values.get(singular):
            return found
        if _dateish(name):
            return PLAUSIBLE_DATES
        if singular.endswith("_id"):
            return self.ids
        return ("x", "Advice on a child with autism", *PLAUSIBLE["main_area"])

    def text(self, field: FieldDescriptor, lean: bool) -> st.SearchStrategy[str]:
        plausible = st.sampled_from(self.plausible(field.name))
        short = st.sampled_from(("", "a\r\nb", "0101901234", *DATES[:3], *self.ids[:3]))
        if lean:
            return plausible | short
        if field.name == "csv_text":
            return _csv_text(self.ids) | st.sampled_from(TEXTS)
        nasty = st.sampled_from(DATES if _dateish(field.name) else TEXTS)
        return st.one_of(plausible, plausible, plausible, nasty, short, st.text(max_size=20))

    def scalar(self, field: FieldDescriptor, lean: bool) -> st.SearchStrategy[Any]:
        kind = field.type
        if kind == FieldDescriptor.TYPE_STRING:
            return self.text(field, lean)
        if kind == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if kind == FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=50)
        if kind in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64):
            low, high = INT32 if kind == FieldDescriptor.TYPE_INT32 else INT64
            plausible = st.sampled_from(PLAUSIBLE_INTS.get(field.name, (0, 1)))
            edges = st.sampled_from([i for i in EDGE_INTS if low <= i <= high])
            extreme = st.sampled_from([i for i in EXTREME_INTS if low <= i <= high])
            return st.one_of(plausible, plausible, extreme, edges, st.integers(low, high))
        raise NotImplementedError(f"no strategy for field {field.full_name} of type {kind}")

    def field(self, field: FieldDescriptor, depth: int, lean: bool) -> st.SearchStrategy[Any]:
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            key, value = entry.fields_by_name["key"], entry.fields_by_name["value"]
            return st.dictionaries(self.scalar(key, lean), self.scalar(value, lean), max_size=4)
        if entry is not None:
            one = self.message(entry, depth + 1, lean)
        else:
            one = self.scalar(field, lean)
        if not field.is_repeated:
            return one
        few = st.lists(one, min_size=1, max_size=3)
        if lean or depth > 0:
            return few
        item = self.message(entry, 1, True) if entry is not None else self.scalar(field, True)
        many = st.tuples(item, st.sampled_from(MANY)).map(lambda pair: [pair[0]] * pair[1])
        return st.one_of(few, few, many)

    def message(
        self, descriptor: Descriptor, depth: int = 0, lean: bool = False
    ) -> st.SearchStrategy[Message]:
        """Messages of this type with most of their fields set, any of them possibly not."""
        make: Callable[..., Message] = GetMessageClass(descriptor)
        fields = {f.name: self.field(f, depth, lean) for f in descriptor.fields}
        drop = st.sets(st.sampled_from(sorted(fields)), max_size=2) if fields else st.just(set())

        def build(values: dict[str, Any], dropped: set[str]) -> Message:
            return make(**{k: v for k, v in values.items() if k not in dropped})

        return st.builds(build, st.fixed_dictionaries(fields), drop)
