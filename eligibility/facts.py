"""What the engine may know about an applicant. Every field may be unknown (None), and unknown is never zero.

Each field carries a Chinese label and the question that asks for it, so the engine can say which facts
are still missing in the words a hotline would use (NSW's OpenFisca does the same for its inputs).
Facts about one project live in `projects`; 从高不重复 applies within a project, not across projects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ApplicantKind = Literal["enterprise", "university", "research_institute", "park_committee",
                        "district_government", "platform_operator"]
ProductCategory = Literal["smart_hardware", "ai_software"]
ModelKind = Literal["vertical_model", "industrial_agent"]
PlatformLevel = Literal["national", "provincial", "city", "district"]
PlatformType = Literal["data_aggregation", "algorithm", "computing_power", "scenario_training",
                       "adaptation_testing", "annotation_service", "other"]

LABELS_ZH = {
    "enterprise": "企业", "university": "高校", "research_institute": "科研机构", "park_committee": "园区管委会",
    "district_government": "区县（市）人民政府", "platform_operator": "平台建设运营方",
    "smart_hardware": "智能硬件产品", "ai_software": "人工智能软件",
    "vertical_model": "垂类大模型", "industrial_agent": "工业智能体",
    "national": "国家级", "provincial": "省级", "city": "市级", "district": "区县级",
    "data_aggregation": "数据归集", "algorithm": "算法汇聚", "computing_power": "算力开放",
    "scenario_training": "场景训练", "adaptation_testing": "适配测评", "annotation_service": "智能标注公共服务",
    "other": "其他",
}


def fact(label: str, question: str, **kwargs: Any):
    """A field that is unknown until someone says otherwise, with its label and question."""
    return Field(default=None, description=label, json_schema_extra={"question": question}, **kwargs)


class AwardReceived(BaseModel):
    model_config = ConfigDict(extra="forbid")
    this_year_yuan: int | None = fact("今年已获该项奖励金额（元）", "今年已经获得过这一项奖励吗？金额是多少？", ge=0)
    total_yuan: int | None = fact("累计已获该项奖励金额（元）", "此前累计已经获得这一项奖励多少元？", ge=0)


class ProjectFacts(BaseModel):
    """One project (or one platform): 同一项目 is the unit that 从高不重复 applies to."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, description="项目名称，如“A项目”")
    # 一、 innovative products
    product_category: ProductCategory | None = fact("产品类别", "你们的产品是智能硬件（智能电脑、可穿戴设备、机器人等）还是人工智能软件？")
    hardware_kind: str | None = fact("智能硬件品类", "具体是哪类智能硬件产品？")
    new_product_sales_increment_yuan: int | None = fact("新产品销售增量（元）", "新产品今年比上年的销售增量是多少元？")
    software_own_ip: bool | None = fact("软件拥有自主知识产权", "这款软件是否拥有自主知识产权？")
    software_technically_advanced: bool | None = fact("软件技术先进", "这款软件的技术是否先进（如有第三方评测或认定）？")
    software_first_commercial_use: bool | None = fact("软件已实现首次商业化应用", "这款软件是否已经实现首次商业化应用？")
    # 二、 vertical models and industrial agents
    model_kind: ModelKind | None = fact("模型类别", "你们开发的是行业垂类大模型还是工业智能体？")
    model_domain: str | None = fact("模型应用领域", "模型应用在哪个行业领域（先进制造、医疗健康……）？")
    base_model_filed: bool | None = fact("依托经国家网信办备案的生成式人工智能模型", "二次开发所依托的基础模型是否已经国家网信办备案？")
    model_registered: bool | None = fact("模型已通过国家网信办登记", "开发形成的模型是否已通过国家网信办登记？")
    model_own_ip: bool | None = fact("模型具备自主知识产权", "模型是否具备自主知识产权？")
    model_effect_significant: bool | None = fact("模型实施效果显著", "模型的实施效果是否显著（如有应用成效证明）？")
    model_purchase_cost_yuan: int | None = fact("年度模型购买费用（元）", "今年的模型购买费用是多少元？")
    # 三、 innovation platforms and open source
    platform_level: PlatformLevel | None = fact("平台级别", "平台是国家级、省级还是市级认定的创新支撑平台？")
    platform_type: PlatformType | None = fact("平台类型", "平台属于数据归集、算法汇聚、算力开放、场景训练、适配测评还是智能标注公共服务？")
    platform_operating_cost_yuan: int | None = fact("平台年度运营费用（元）", "平台今年的运营费用是多少元？")
    open_source_project: bool | None = fact("符合条件的共享开源项目", "项目是否属于符合条件的共享开源项目？")
    # 四、 national 揭榜挂帅
    national_jiebang_winner: bool | None = fact("国家人工智能揭榜挂帅优胜单位", "是否为国家人工智能揭榜挂帅优胜单位？")
    # 五、 city key projects (support by the city's existing policies)
    city_key_project: bool | None = fact("市揭榜挂帅重大科技项目或市科技重大专项", "项目是否列入市“揭榜挂帅”重大科技项目或市科技重大专项？")
    # 六、 data annotation
    annotation_cluster_outstanding: bool | None = fact("培育数据标注产业成效突出", "本区县（园区）培育数据标注产业的成效是否突出？")
    annotation_platform_operator: bool | None = fact("智能标注公共服务平台建设运营方", "是否为智能标注公共服务平台的建设运营方？")
    annotation_empowerment_significant: bool | None = fact("对数据标注行业赋能作用显著", "平台对数据标注行业的赋能作用是否显著？")
    annotation_enterprise: bool | None = fact("数据标注企业", "是否为数据标注企业？")
    # 七、 data elements
    data_trading_platform_operator: bool | None = fact("大数据交易平台建设运营方", "是否为大数据交易平台等平台的建设运营方？")
    data_trading_outstanding: bool | None = fact("促进数据流通交易、赋能大模型成效突出", "平台在促进数据流通交易、赋能大模型研发应用方面成效是否突出？")
    talent_training_base: bool | None = fact("企业与高校合作建设的AI数据人才实训基地", "是否为企业与高校合作建设的AI数据人才实训基地？")
    talent_base_outstanding: bool | None = fact("促进人才培育和就业成效突出", "基地在促进人才培育和就业方面成效是否突出？")
    national_enterprise_library: bool | None = fact("入选国家级企业库", "企业是否已入选国家级（数据要素赋能人工智能的数字经济创新型）企业库？")
    national_excellent_case_or_pilot: bool | None = fact("获评国家级数据标注、高质量数据集优秀案例或试点", "是否获评国家级数据标注、高质量数据集优秀案例或试点？")
    # 八、 benchmark scenarios
    benchmark_scenario: bool | None = fact("入选“人工智能+”标杆型场景", "场景是否已入选市里评选的“人工智能+”标杆型场景？")
    scenario_builder: bool | None = fact("场景建设方", "你们是否为该场景的建设方？")
    # 九、十、 finance and talent (support without a figure)
    seeks_financing: bool | None = fact("寻求基金、信贷或债券支持", "是否希望获得政府投资基金、专项信贷或债券资金支持？")
    talent_introduction: bool | None = fact("引进或推荐人工智能人才", "是否在引进人工智能顶尖人才或推荐人选？")
    talent_achievements_significant: bool | None = fact("人才团队转化成果显著并推动产业发展", "人才团队是否转化成果显著并推动产业发展？")
    # what was already received, per programme id
    awards_received: dict[str, AwardReceived] = Field(default_factory=dict, description="已获奖励，按奖励项目编号")


class Facts(BaseModel):
    """An applicant and its projects. Project fields given at the top level describe its one project."""

    model_config = ConfigDict(extra="forbid")
    applicant_kind: ApplicantKind | None = fact("申请主体类型", "申请主体是企业、高校、科研机构、园区管委会、区县政府还是平台运营方？")
    registered_in_changsha: bool | None = fact("在长沙市注册", "企业是否在长沙市注册登记？")
    local_economic_contribution_yuan: int | None = fact("对地方的经济贡献（元）", "企业上年度对地方的经济贡献约为多少元？", ge=0)
    application_date: dt.date | None = fact("申请日期", "计划在哪一天申报？")
    projects: list[ProjectFacts] = Field(default_factory=list, description="各项目的事实；不同项目可分别享受奖励")

    @model_validator(mode="before")
    @classmethod
    def _flat_project(cls, data: Any) -> Any:
        """`{"product_category": …}` is shorthand for `{"projects": [{"product_category": …}]}`."""
        if not isinstance(data, dict):
            return data
        flat = {k: v for k, v in data.items() if k in ProjectFacts.model_fields}
        if not flat:
            return data
        rest = {k: v for k, v in data.items() if k not in flat}
        projects = list(rest.get("projects") or [])
        if projects and isinstance(projects[0], dict):
            projects[0] = {**flat, **projects[0]}
        else:
            projects.insert(0, flat)
        return {**rest, "projects": projects}

    def project_list(self) -> list[ProjectFacts]:
        """At least one project, so a programme can always be evaluated (with its facts unknown)."""
        return self.projects or [ProjectFacts()]


def field_info(name: str) -> tuple[str, str]:
    """(label, question) of a fact, whether it is an applicant's or a project's."""
    for model in (Facts, ProjectFacts):
        if name in model.model_fields:
            info = model.model_fields[name]
            extra = info.json_schema_extra or {}
            return info.description or name, str(extra.get("question", info.description or name))
    raise KeyError(name)


def known_fact_names() -> set[str]:
    return (set(Facts.model_fields) | set(ProjectFacts.model_fields)) - {"projects", "awards_received", "name"}
