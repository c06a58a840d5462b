"""The check's verdict as typed values, and the one serializer every face renders them with.

`registry.check` answers with a `CheckResult` whose bases of control are one dataclass per kind
of basis the check gives:

- `ListingBasis`: a named listing in force that reaches the input, directly or along a route of
  typed relations (a form of the listed compound, a member of a listed group, a
  single-ingredient preparation), with the words that say why;
- `ClassBasis`: a whole-class listing in force whose rules the structure meets, with the rule
  and the atoms it matched.

Both carry the listing itself (`ListingRef`: the list, the act, the dates, what the entry
covers), and, when the date asked about falls in the window of an act whose day is not known,
`date_uncertain` with what is known of it. An input of several parts lists them as `Component`.

`to_json` turns any of these values into the JSON the API, the jobs' NDJSON (and, from it, their
CSV and the command line's) carry, and `schema_of` describes the same values in the OpenAPI
schema from the same declarations: every field's meaning is written once, beside the field
(`described`), so the schema cannot leave a field out or describe one the JSON does not have.
The site renders the typed values themselves.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, ClassVar

from registry.coverage import Route

_JSON = "json"  # metadata key of every described field


def described(
    doc: str,
    *,
    default: Any = dataclasses.MISSING,
    default_factory: Any = dataclasses.MISSING,
    name: str | None = None,
    omit_empty: bool = False,
    flatten: bool = False,
    enum: tuple[str, ...] = (),
    schema: Any = None,
    convert: Any = None,
    serialize: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A dataclass field with its meaning, as the schema gives it.

    `name`: its key in JSON (when the attribute's name cannot be, as `class`); `omit_empty`: left
    out of the JSON when empty (an optional key); `flatten`: a nested value whose keys are the
    object's own; `enum`: the values it takes; `schema`/`convert`: the type the JSON shows and the
    function that makes it from the attribute (a model record shown as a reference);
    `serialize=False`: kept for the faces that hold the value, not part of the JSON.
    """
    meta = {
        _JSON: {
            "doc": doc,
            "name": name,
            "omit_empty": omit_empty,
            "flatten": flatten,
            "enum": enum,
            "schema": schema,
            "convert": convert,
            "serialize": serialize,
        }
    }
    return dataclasses.field(
        default=default,
        default_factory=default_factory,
        metadata=meta,
        repr=repr,
        compare=compare,
    )


class Serialized(Mapping):
    """A typed value that reads, by key, as its JSON: `basis["schedule"]["code"]` is what the API
    gives under that key. The faces use the attributes; the keys serve readers of the JSON."""

    def _json(self) -> dict[str, Any]:
        cached = self.__dict__.get("_json_cache")
        if cached is None:
            cached = to_json(self)
            object.__setattr__(self, "_json_cache", cached)
        return cached

    def __getitem__(self, key: str) -> Any:
        return self._json()[key]

    def __iter__(self):
        return iter(self._json())

    def __len__(self) -> int:
        return len(self._json())


# --- references to registry records ----------------------------------------------------------


MATCHED_BY = (
    "structure",
    "salt",
    "stereoisomer",
    "positional_isomer",
    "isotopologue",
    "ester",
    "ether",
    "name",
    "cas",
    "inchikey",
)
"""How an input can match a registry record (`matched_by`)."""


@dataclasses.dataclass(frozen=True)
class SubstanceRef(Serialized):
    """The registry substance the input resolved to, and how."""

    uid: str = described("The substance's permanent uid.")
    name_en: str = described("Its English name.")
    name_zh: str = described("Its Chinese name.")
    cas: str = described("Its CAS number (empty when it has none).")
    matched_by: str = described(
        "How the input resolved to it.",
        enum=MATCHED_BY,
    )

    @classmethod
    def of(cls, substance, matched_by: str) -> SubstanceRef:
        return cls(substance.uid, substance.name_en, substance.name_zh, substance.cas, matched_by)


@dataclasses.dataclass(frozen=True)
class AnalogueRef(Serialized):
    """A listed substance a structure is close to, where a law treats a substance close to a
    listed one as listed (registry.analogues)."""

    substance: str = described("The listed substance's permanent uid.")
    name_en: str = described("Its English name.")
    name_zh: str = described("Its Chinese name.")
    schedule: str = described("The code of the list it is on, on the day asked about.")
    likeness: float = described(
        "How alike the two structures are: the Tanimoto similarity of their Morgan "
        "fingerprints (radius 2), from 0.6 (told from there) to 1. No legal test."
    )


@dataclasses.dataclass(frozen=True)
class ScheduleRef(Serialized):
    """The list an entry is on."""

    uid: str = described("The list's permanent uid.")
    code: str = described("Its short code, as the jurisdiction writes it.")
    name: str = described("Its name in English.")
    name_zh: str = described("Its name in Chinese.")
    regime: str = described("The control regime: narcotic, psychotropic, precursor, ...")
    jurisdiction: str = described("The code of the jurisdiction whose list it is.")


@dataclasses.dataclass(frozen=True)
class InstrumentRef(Serialized):
    """The act (announcement, decision, regulation) that put the entry on the list."""

    uid: str = described("The act's permanent uid.")
    reference: str = described("Its official reference.")
    title_en: str = described("Its title in English.")
    title_zh: str = described("Its title in Chinese.")


@dataclasses.dataclass(frozen=True)
class ClassRef(Serialized):
    """A whole class of substances defined by structural rules."""

    uid: str = described("The class's permanent uid.")
    name_en: str = described("Its English name.")
    name_zh: str = described("Its Chinese name.")


@dataclasses.dataclass(frozen=True)
class ListingRef(Serialized):
    """A listing: an entry on a list, from the act that made it, for a period."""

    listing: str = described("The listing's permanent uid.")
    schedule: ScheduleRef = described("The list the entry is on.")
    instrument: InstrumentRef = described("The act that listed it.")
    effective_from: datetime.date = described("The first day the listing is in force.")
    effective_to: datetime.date | None = described(
        "The day it ceased to be in force (null while it is)."
    )
    run_from: datetime.date = described(
        "Since when the list has held the input without a break: the listing's own first day, "
        "or an earlier one when it continues, from the day it began, an entry on the same list "
        "that ended that day (a definition restated by a later act) and reached the input the "
        "same way (an ester only from the day an entry covered esters). The listing's own first "
        "day where the answer is in doubt."
    )
    scope: str = described("What the entry covers, in the list's own words.")
    coverage: tuple[str, ...] = described(
        "What the entry covers besides the compound named (salts, stereoisomers, esters, "
        "ethers, preparations: single-ingredient preparations, materials: materials containing "
        "it), from the list's footnotes or the entry."
    )

    @classmethod
    def of(cls, listing, *, run_from: datetime.date | None = None) -> ListingRef:
        """The listing's reference; `run_from` as the check reads it for the input (its own
        first day unless given)."""
        schedule, instrument = listing.schedule, listing.listed_by
        return cls(
            listing=listing.uid,
            schedule=ScheduleRef(
                schedule.uid,
                schedule.code,
                schedule.name,
                schedule.name_zh,
                schedule.regime,
                schedule.jurisdiction.code,
            ),
            instrument=InstrumentRef(
                instrument.uid, instrument.reference, instrument.title_en, instrument.title_zh
            ),
            effective_from=listing.effective_from,
            effective_to=listing.effective_to,
            run_from=run_from or listing.effective_from,
            scope=listing.scope,
            coverage=tuple(listing.covers),
        )


# --- the route a named listing reaches the input by ------------------------------------------


@dataclasses.dataclass(frozen=True)
class RouteStep(Serialized):
    """One typed relation followed from a record towards the listed one."""

    relation: str = described(
        "The relation followed (single_ingredient: from a single-ingredient preparation to its "
        "ingredient; preparation_ingredient: from a preparation with, or perhaps with, other "
        "active ingredients to one it names; compound_entry: from a compound to another "
        "record for it, an entry naming it in bulk or under another name; material_ingredient: "
        "from a material to a substance it contains; compound_preparation: from a compound in "
        "a mixture to a preparation entry that names it as its ingredient; alike_preparation: "
        "from a preparation to another of the same ingredients that an entry names within "
        "limits the first does not record).",
        enum=(
            "form_of",
            "member_of",
            "single_ingredient",
            "preparation_ingredient",
            "compound_entry",
            "material_ingredient",
            "compound_preparation",
            "alike_preparation",
        ),
    )
    form: str = described(
        "For a form: which (salt, stereoisomer, ester, ether, hydrate, entry); empty otherwise."
    )
    substance: str = described("The uid of the record the step reaches.")
    name_en: str = described("Its English name.")
    name_zh: str = described("Its Chinese name.")


@dataclasses.dataclass(frozen=True)
class RouteRef(Serialized):
    """How a named listing reaches the input: the record the input matched, and the relations
    followed from it to the listed record (none when the input is the listed record)."""

    matched: str = described("The uid of the record the input matched.")
    matched_by: str = described(
        "How the input matched it.",
        enum=MATCHED_BY,
    )
    steps: tuple[RouteStep, ...] = described("The relations followed, in order.")
    needs: tuple[str, ...] = described(
        "What the listing must cover to reach the input (salts for a salt, stereoisomers for "
        "an isomer, ...)."
    )

    @classmethod
    def of(cls, route: Route) -> RouteRef:
        return cls(
            matched=route.start.uid,
            matched_by=route.matched_by,
            steps=tuple(
                RouteStep(
                    step.kind,
                    step.form,
                    step.substance.uid,
                    step.substance.name_en,
                    step.substance.name_zh,
                )
                for step in route.steps
            ),
            needs=tuple(sorted(route.needs)),
        )


# --- the bases of control --------------------------------------------------------------------

_DATE_UNCERTAIN = (
    "Present when the date asked about falls in the window of an act whose day of entry into "
    "force is not known (only the year or month, or a not-before or not-after bound): what is "
    "known of it. With no other basis the status is `uncertain`."
)
_COMPONENT = (
    "For an input of several parts: the part (its SMILES) this basis is about; absent otherwise."
)


@dataclasses.dataclass(frozen=True)
class ListingBasis(Serialized):
    """Controlled by a named listing in force that reaches the input, directly or along a route
    of typed relations (a form of the listed compound, a member of a listed group, a
    single-ingredient preparation)."""

    BASIS: ClassVar[str] = "listing"

    matched_by: str = described(
        "How the input matched the record the route starts from.",
        enum=MATCHED_BY,
    )
    substance: str = described("The uid of the listed record.")
    route: RouteRef = described("How the listing reaches the input.")
    explanation: str = described(
        "Why the listing reaches the input, in words (empty when the input is the listed "
        "record itself)."
    )
    listed: ListingRef = described("The listing.", flatten=True)
    date_uncertain: str = described(_DATE_UNCERTAIN, default="", omit_empty=True)
    component: str = described(_COMPONENT, default="", omit_empty=True)
    identity_uncertain: str = described(
        "Present when the input is an InChIKey that no registry record has: its compound may be "
        "any stereoisomer or labelled form of the records that share its first block, and one "
        "of them is excepted from an entry (dextromethorphan, from racemethorphan's): why. "
        "With no other basis the status is `uncertain`.",
        default="",
        omit_empty=True,
    )
    entry_uncertain: str = described(
        "Present when the input falls under this entry or another entry of the same "
        "jurisdiction, and which one is not settled: a mixture of a listed compound with other "
        "components, which a preparation entry naming that compound governs if the mixture is "
        "such a preparation (21 CFR 1308.13(c)(1): amobarbital with active medicinal "
        "ingredients listed in no schedule is in schedule III; amobarbital is in schedule II), "
        "and the compound's own entry otherwise: why. Such bases come together and count as "
        "certain: the input is `controlled` there, on one of their lists. Only the preparation "
        "entries the registry links to the compound (`contains`, directly or through an item of "
        "the entry, as 21 CFR 1308.15(c)'s) are offered; one it does not link is not. So too a "
        "preparation record reached by its ingredient's entry, where the list names another "
        "preparation of the same ingredients within limits of strength or composition the "
        "record does not state (a codeine compound syrup under the 1961 Convention: Schedule II "
        "as codeine's preparation, or Schedule III within its limits); and a compound that an "
        "entry on another list names in one form or setting (the US: dextropropoxyphene in "
        "schedule IV, in bulk in schedule II; cannabis in schedule I, in an FDA-approved product "
        "or under a state medical marijuana license in schedule III).",
        default="",
        omit_empty=True,
    )
    form_uncertain: str = described(
        "Present when whether the entry's words reach the input is not settled: as an ether "
        "through an acetal carbon (a glycoside, such as morphine 3-glucuronide), or as a "
        "positional isomer of the listed compound (the same formula, ring systems and "
        "functional groups; 21 CFR 1300.01 asks more): why. With no other basis the status is "
        "`uncertain`.",
        default="",
        omit_empty=True,
    )


@dataclasses.dataclass(frozen=True)
class ClassBasis(Serialized):
    """Controlled by a whole-class listing in force whose rules the structure meets."""

    BASIS: ClassVar[str] = "class"

    substance_class: ClassRef = described("The class.", name="class")
    rule: str = described("The label of the rule that matched.")
    explanation: str = described("What the rule requires and how the structure meets it.")
    rule_zh: str = described(
        "The rule's label in Chinese (empty where the class has no Chinese text for the rule)."
    )
    explanation_zh: str = described(
        "The explanation in Chinese, the groups the rule's conditions found said in Chinese "
        "(empty where the class has no Chinese text for the rule)."
    )
    atoms: tuple[int, ...] = described(
        "The indices of the atoms the rule matched, in `structure` (the standardized parent)."
    )
    listed: ListingRef = described("The class's listing.", flatten=True)
    date_uncertain: str = described(_DATE_UNCERTAIN, default="", omit_empty=True)
    component: str = described(_COMPONENT, default="", omit_empty=True)
    condition: str = described(
        "Present when the class's legal definition also requires what a structure cannot show "
        "(the US cannabimimetic agents: CB1 receptor agonism, shown by binding studies and "
        "functional assays): what it requires. With no other basis the status is `uncertain`.",
        default="",
        omit_empty=True,
    )
    condition_zh: str = described(
        "The condition in Chinese (absent where there is none, or no Chinese text).",
        default="",
        omit_empty=True,
    )


Basis = ListingBasis | ClassBasis
"""A basis of control: one class per kind the check gives, told apart in JSON by `basis`."""

BASES: tuple[type, ...] = (ListingBasis, ClassBasis)


@dataclasses.dataclass
class Component(Serialized):
    """One part of a structure drawn in several parts (a salt, a solvate, a mixture)."""

    structure: str = described("The part, as SMILES.")
    role: str = described(
        "`judged`, or `counter_ion_or_solvent`: a known counter-ion or solvent, reported and "
        "not judged.",
        enum=("judged", "counter_ion_or_solvent"),
    )
    status: str = described(
        "For a judged part: its own verdict; absent for a counter-ion or solvent.",
        default="",
        omit_empty=True,
        enum=("controlled", "not_controlled", "uncertain", "unknown", "invalid"),
    )

    def __setattr__(self, name, value):
        self.__dict__.pop("_json_cache", None)  # a part's status is set after it is made
        super().__setattr__(name, value)


# --- the serializer --------------------------------------------------------------------------


def _converter(hint: Any) -> Callable[[Any], Any] | None:
    """What turns a value of this type into JSON; None when the value is JSON as it is."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        if len(present) > 1:  # one of several typed values (a basis): told apart by its class
            return lambda value: _serializer(type(value))(value)
        inner = _converter(present[0])
        if inner is None:
            return None
        return lambda value: None if value is None else inner(value)
    if origin in (tuple, list):
        inner = _converter(args[0])
        if inner is None:
            return list
        return lambda value: [inner(item) for item in value]
    if origin is dict:
        inner = _converter(args[1])
        if inner is None:
            return dict
        return lambda value: {key: inner(item) for key, item in value.items()}
    if dataclasses.is_dataclass(hint):
        return _serializer(hint)
    if hint is datetime.date:
        return datetime.date.isoformat
    return None


@cache
def _serializer(cls: type) -> Callable[[Any], dict[str, Any]]:
    """The function that makes the JSON of one class of typed value, made once from its
    declarations (a verdict row has dozens of values: read field by field, not inspected)."""
    hints = typing.get_type_hints(cls)
    steps = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get(_JSON)
        if meta is None or not meta["serialize"]:
            continue
        hint = meta["schema"] if meta["schema"] is not None else hints[f.name]
        steps.append(
            (
                f.name,
                meta["name"] or f.name,
                meta["omit_empty"],
                meta["flatten"],
                meta["convert"],
                _converter(hint),
            )
        )
    tag = getattr(cls, "BASIS", None)

    def serialize(value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {} if tag is None else {"basis": tag}
        for attr, key, omit_empty, flatten, convert, converter in steps:
            item = getattr(value, attr) if convert is None else convert(value)
            if omit_empty and not item:
                continue
            if converter is not None:
                item = converter(item)
            if flatten:
                out.update(item)
            else:
                out[key] = item
        return out

    return serialize


def to_json(value: Any) -> Any:
    """A verdict, a basis or any part of them as JSON values (dates as YYYY-MM-DD)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _serializer(type(value))(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


# --- the same declarations, as the OpenAPI schema --------------------------------------------


def _type_schema(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Basis or (origin in (typing.Union, types.UnionType) and set(args) == set(BASES)):
        return {
            "oneOf": [schema_of(cls) for cls in BASES],
            "discriminator": {"propertyName": "basis"},
        }
    if origin in (typing.Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        if len(present) == 1:
            return {**_type_schema(present[0]), "nullable": True}
    if origin in (tuple, list):
        return {"type": "array", "items": _type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(args[1])}
    if dataclasses.is_dataclass(hint):
        return schema_of(hint)
    if hint is datetime.date:
        return {"type": "string", "format": "date"}
    if hint is str:
        return {"type": "string"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if hint is bool:
        return {"type": "boolean"}
    raise TypeError(f"no schema for {hint!r}")


def _doc(cls: type) -> str:
    return " ".join((cls.__doc__ or "").split())


@cache
def _schema(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    tag = getattr(cls, "BASIS", None)
    if tag is not None:
        properties["basis"] = {
            "type": "string",
            "enum": [tag],
            "description": "The kind of basis.",
        }
        required.append("basis")
    for f in dataclasses.fields(cls):
        meta = f.metadata.get(_JSON)
        if meta is None or not meta["serialize"]:
            continue
        hint = meta["schema"] if meta["schema"] is not None else hints[f.name]
        if meta["flatten"]:
            inner = _schema(hint)
            properties.update(inner["properties"])
            required.extend(inner["required"])
            continue
        key = meta["name"] or f.name
        prop = _type_schema(hint)
        if meta["enum"]:
            prop["enum"] = list(meta["enum"])
        if "$ref" not in prop:
            prop["description"] = meta["doc"]
        properties[key] = prop
        if not meta["omit_empty"]:
            required.append(key)
    return {
        "type": "object",
        "description": _doc(cls),
        "properties": properties,
        "required": required,
    }


def schema_of(cls: type) -> dict[str, Any]:
    """The OpenAPI (3.0) schema of a typed value's JSON, every field described."""
    import copy

    return copy.deepcopy(_schema(cls))


# --- a verdict with its answer in each jurisdiction: what the API and the jobs carry ----------


def verdict_json(result: Any, among: Any) -> dict[str, Any]:
    """A check result as JSON with its verdict in each jurisdiction of `among`: one item of the
    API's `results`, and (after the record and its id) one line of a job's NDJSON."""
    from registry import jurisdictions

    return {
        **to_json(result),
        "jurisdictions": [to_json(v) for v in jurisdictions.verdicts_of(result, among)],
    }


def verdict_schema() -> dict[str, Any]:
    """The schema of `verdict_json`, every field described."""
    from registry.check import CheckResult
    from registry.jurisdictions import JurisdictionVerdict

    schema = schema_of(CheckResult)
    schema["properties"]["jurisdictions"] = {
        "type": "array",
        "items": schema_of(JurisdictionVerdict),
        "description": (
            "The verdict in each jurisdiction asked about (every jurisdiction the registry "
            "holds when none is given)."
        ),
    }
    schema["required"].append("jurisdictions")
    return schema


def _listed_subject(basis: Any) -> tuple[str, str] | None:
    """What a basis in doubt lists: a record, or a class whose rules are its whole definition."""
    if isinstance(basis, ListingBasis):
        return ("substance", basis.substance)
    if isinstance(basis, ClassBasis) and not basis.condition:
        return ("class", basis.substance_class.uid)
    return None


def is_conditional(basis: Any) -> bool:
    """Whether a basis is in doubt for what the input is, not for a date: a class whose
    definition also asks what a structure cannot show, an identity (an InChIKey no record has)
    or a form (a glycoside, a possible positional isomer) in doubt. Not an entry in doubt
    (`ListingBasis.entry_uncertain`): the input is controlled by one entry or the other."""
    return bool(
        (isinstance(basis, ClassBasis) and basis.condition)
        or getattr(basis, "identity_uncertain", "")
        or getattr(basis, "form_uncertain", "")
    )


def handed_over(bases: Iterable[Any]) -> bool:
    """Whether bases in doubt include a transfer: a record's (or a class's) listing that ends on
    the day another listing of the same record (class) begins. Whichever day the act moving it
    took effect, one of the two was in force: the compound was controlled, only the list is in
    doubt (China's fentanyl class, moved from the 2015 supplement to the 2025 catalogue)."""
    named = [
        (subject, b)
        for b in bases
        if getattr(b, "date_uncertain", "") and (subject := _listed_subject(b)) is not None
    ]
    ends = {(subject, b.listed.effective_to) for subject, b in named if b.listed.effective_to}
    return any((subject, b.listed.effective_from) in ends for subject, b in named)
