"""What the engine may know about an applicant. Every field may be unknown (None), and unknown is never zero.

Each field carries a Chinese label and the question that asks for it, so the engine can say which facts
are still missing in the words a hotline would use (NSW's OpenFisca does the same for its inputs).
Facts about one project live in `projects`; 从高不重复 applies within a project, not across projects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from eligibility import catalogue
from eligibility.catalogue import CORE

ApplicantKind = Literal["enterprise", "university", "research_institute", "park_committee",
                        "district_government", "platform_operator"]
ProductCategory = Literal["smart_hardware", "ai_software"]
ModelKind = Literal["vertical_model", "industrial_agent"]
PlatformLevel = Literal["national", "provincial", "city", "district"]
PlatformType = Literal["data_aggregation", "algorithm", "computing_power", "scenario_training",
                       "adaptation_testing", "annotation_service", "other"]

def fact(name: str, **kwargs: Any):
    """A field that is unknown until someone says otherwise; its label and question come from facts.yaml."""
    spec = CORE[name]
    return Field(default=None, description=spec.label.zh,
                 json_schema_extra={"question": spec.question.zh}, **kwargs)


def _declared_extras(data: Any, fields: dict, scope: str, title: str) -> Any:
    """A fact not in the schema must be declared by a loaded implementation rule, in this scope and type.

    Anything else is refused as pydantic refuses an unknown field (`extra_forbidden` at the fact's name).
    """
    if not isinstance(data, dict):
        return data
    errors: list[InitErrorDetails] = []
    out = dict(data)
    for name, value in data.items():
        if name in fields:
            continue
        spec = catalogue.find(name) if isinstance(name, str) else None
        if spec is None or spec.name in CORE or spec.scope != scope:
            errors.append(InitErrorDetails(type="extra_forbidden", loc=(name,), input=value))
            continue
        try:
            out[name] = spec.coerce(value)
        except ValueError as exc:
            errors.append(InitErrorDetails(type="value_error", loc=(name,), input=value, ctx={"error": exc}))
    if errors:
        raise ValidationError.from_exception_data(title, errors)
    return out


def _schema(scope: str):
    """The published schema lists the declared facts known when it is made; anything else is refused."""
    types = {"int_yuan": {"type": "integer"}, "bool": {"type": "boolean"}, "date": {"type": "string", "format": "date"},
             "text": {"type": "string"}}

    def extra(schema: dict) -> None:
        schema["additionalProperties"] = False
        for spec in catalogue.known_now().values():
            if spec.scope == scope and spec.name not in CORE:
                kind = types.get(spec.type) or {"enum": list(spec.values)}
                schema.setdefault("properties", {})[spec.name] = {
                    "anyOf": [kind, {"type": "null"}], "default": None, "description": spec.label.zh}
    return extra


class AwardReceived(BaseModel):
    model_config = ConfigDict(extra="forbid")
    this_year_yuan: int | None = fact("this_year_yuan", ge=0)
    total_yuan: int | None = fact("total_yuan", ge=0)
    received_before: bool | None = fact("received_before")


class ProjectFacts(BaseModel):
    """One project (or one platform): 同一项目 is the unit that 从高不重复 applies to."""

    # declared facts of implementation rules are accepted; others refused
    model_config = ConfigDict(extra="allow", json_schema_extra=_schema("project"))
    name: str | None = Field(default=None, description="项目名称，如“A项目”")
    # 一、 innovative products
    product_category: ProductCategory | None = fact("product_category")
    hardware_kind: str | None = fact("hardware_kind")
    new_product_sales_increment_yuan: int | None = fact("new_product_sales_increment_yuan")
    software_own_ip: bool | None = fact("software_own_ip")
    software_technically_advanced: bool | None = fact("software_technically_advanced")
    software_first_commercial_use: bool | None = fact("software_first_commercial_use")
    # 二、 vertical models and industrial agents
    model_kind: ModelKind | None = fact("model_kind")
    model_domain: str | None = fact("model_domain")
    base_model_filed: bool | None = fact("base_model_filed")
    model_registered: bool | None = fact("model_registered")
    model_own_ip: bool | None = fact("model_own_ip")
    model_effect_significant: bool | None = fact("model_effect_significant")
    model_purchase_cost_yuan: int | None = fact("model_purchase_cost_yuan")
    # 三、 innovation platforms and open source
    platform_level: PlatformLevel | None = fact("platform_level")
    platform_type: PlatformType | None = fact("platform_type")
    platform_operating_cost_yuan: int | None = fact("platform_operating_cost_yuan")
    open_source_project: bool | None = fact("open_source_project")
    # 四、 national 揭榜挂帅
    national_jiebang_winner: bool | None = fact("national_jiebang_winner")
    # 五、 city key projects (support by the city's existing policies)
    city_key_project: bool | None = fact("city_key_project")
    # 六、 data annotation
    annotation_cluster_outstanding: bool | None = fact("annotation_cluster_outstanding")
    annotation_platform_operator: bool | None = fact("annotation_platform_operator")
    annotation_empowerment_significant: bool | None = fact("annotation_empowerment_significant")
    annotation_enterprise: bool | None = fact("annotation_enterprise")
    # 七、 data elements
    data_trading_platform_operator: bool | None = fact("data_trading_platform_operator")
    data_trading_outstanding: bool | None = fact("data_trading_outstanding")
    talent_training_base: bool | None = fact("talent_training_base")
    talent_base_outstanding: bool | None = fact("talent_base_outstanding")
    national_enterprise_library: bool | None = fact("national_enterprise_library")
    national_excellent_case_or_pilot: bool | None = fact("national_excellent_case_or_pilot")
    # 八、 benchmark scenarios
    benchmark_scenario: bool | None = fact("benchmark_scenario")
    scenario_builder: bool | None = fact("scenario_builder")
    # 九、十、 finance and talent (support without a figure)
    seeks_financing: bool | None = fact("seeks_financing")
    talent_introduction: bool | None = fact("talent_introduction")
    talent_achievements_significant: bool | None = fact("talent_achievements_significant")
    # what was already received, per programme id
    awards_received: dict[str, AwardReceived] = Field(default_factory=dict, description="已获奖励，按奖励项目编号")

    @model_validator(mode="before")
    @classmethod
    def _check_declared(cls, data: Any) -> Any:
        return _declared_extras(data, cls.model_fields, "project", cls.__name__)


class Facts(BaseModel):
    """An applicant and its projects. Project fields given at the top level describe its one project."""

    # declared facts of implementation rules are accepted; others refused
    model_config = ConfigDict(extra="allow", json_schema_extra=_schema("applicant"))
    applicant_kind: ApplicantKind | None = fact("applicant_kind")
    registered_in_changsha: bool | None = fact("registered_in_changsha")
    local_economic_contribution_yuan: int | None = fact("local_economic_contribution_yuan", ge=0)
    application_date: dt.date | None = fact("application_date")
    projects: list[ProjectFacts] = Field(default_factory=list, description="各项目的事实；不同项目可分别享受奖励")

    @model_validator(mode="before")
    @classmethod
    def _flat_project(cls, data: Any) -> Any:
        """`{"product_category": …}` is shorthand for `{"projects": [{"product_category": …}]}`."""
        if not isinstance(data, dict):
            return data
        flat = {k: v for k, v in data.items() if k in ProjectFacts.model_fields or _declared_scope(k) == "project"}
        if not flat:
            return _declared_extras(data, cls.model_fields, "applicant", cls.__name__)
        rest = {k: v for k, v in data.items() if k not in flat}
        projects = list(rest.get("projects") or [])
        if projects and isinstance(projects[0], dict):
            projects[0] = {**flat, **projects[0]}
        else:
            projects.insert(0, flat)
        return _declared_extras({**rest, "projects": projects}, cls.model_fields, "applicant", cls.__name__)

    def project_list(self) -> list[ProjectFacts]:
        """At least one project, so a programme can always be evaluated (with its facts unknown)."""
        return self.projects or [ProjectFacts()]


def _declared_scope(name: str) -> str | None:
    if name in Facts.model_fields or name in ProjectFacts.model_fields:
        return None
    spec = catalogue.find(name)
    return spec.scope if spec is not None and spec.name not in CORE else None


def field_info(name: str) -> tuple[str, str]:
    """(label, question) in Chinese of a fact, whether it is an applicant's or a project's."""
    spec = catalogue.find(name)
    if spec is None or spec.scope == "award":
        raise KeyError(name)
    return spec.label.zh, spec.question.zh


def fact_spec(name: str) -> catalogue.FactSpec:
    """Type, scope, labels and questions (zh, en) of a core or declared fact."""
    return catalogue.fact_spec(name)


def fact_specs() -> dict[str, catalogue.FactSpec]:
    """Every fact by name: the policy's own (facts.yaml) and those declared by loaded implementation rules."""
    return catalogue.all_specs()


def label(name: str, lang: str = "zh") -> str:
    return catalogue.fact_spec(name).label.get(lang)


def question(name: str, lang: str = "zh") -> str:
    return catalogue.fact_spec(name).question.get(lang)


def known_fact_names() -> set[str]:
    """Every fact a rule may name: the policy's own and those declared by loaded implementation rules."""
    return {n for n, s in catalogue.all_specs().items() if s.scope != "award"}


def _check_schema_matches_catalogue() -> None:
    """The typed schema and facts.yaml describe the same facts, types and enum values."""
    fields = {**Facts.model_fields, **ProjectFacts.model_fields, **AwardReceived.model_fields}
    fields = {n: f for n, f in fields.items() if n not in {"projects", "awards_received", "name"}}
    if set(fields) != set(CORE):
        raise RuntimeError(f"facts.yaml and the Facts schema differ: {sorted(set(fields) ^ set(CORE))}")
    for name, info in fields.items():
        spec = CORE[name]
        args = [a for a in get_args(info.annotation) if a is not type(None)]
        literal = get_args(args[0]) if args and get_origin(args[0]) is Literal else ()
        expected = {"int_yuan": int, "bool": bool, "date": dt.date, "text": str}.get(spec.type)
        if (spec.type == "enum" and set(literal) != set(spec.values)) or (expected and args != [expected]):
            raise RuntimeError(f"facts.yaml: {name} does not match its type in the Facts schema")


_check_schema_matches_catalogue()
LABELS_ZH = {v: t.zh for s in CORE.values() for v, t in s.values.items()}  # value → its Chinese label
