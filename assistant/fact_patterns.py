"""The phrasings the deterministic extractor knows, as tables: (pattern → fact, value).

Patterns are matched on lower-cased text. A boolean fact preceded closely by a negation (还没, 未, 没有,
not, haven't …) is recorded as false. Order matters where a message could match several rows: first wins.
"""

from __future__ import annotations

import re

R = re.compile

NEGATION = R(r"(还没有|还没|没有|尚未|并未|暂未|还未|未|没|无|不是|不|非|not|no|haven't|hasn't|isn't|aren't|never|without)\s*\S{0,8}$")
AFFIRM_AFTER_NEGATION = R(r"(已|已经)")

# (fact, pattern, value); value None means "the matched text" (for descriptive facts)
BOOLEAN_FACTS: list[tuple[str, re.Pattern]] = [
    ("base_model_filed", R(r"备案|filed")),
    ("model_registered", R(r"登记|registered|registration")),
    ("own_ip", R(r"自主知识产权|自有知识产权|知识产权|专利|软著|著作权|own ip|intellectual property|patent")),
    ("model_effect_significant", R(r"(实施|应用)?效果(显著|明显|突出|很好|不错)|成效(显著|明显)|significant (effect|result|impact)")),
    ("software_first_commercial_use", R(r"首次商业化|第一单|首单|首个客户|第一个客户|卖出.{0,6}第一|已经?商用|商业化(应用|落地)|first (sale|commercial|customer)|commerciali[sz]ed")),
    ("software_technically_advanced", R(r"技术(先进|领先)|(国内|国际|行业)领先|technically advanced|state.of.the.art|cutting.edge")),
    ("open_source_project", R(r"开源|open.?source")),
    ("national_jiebang_winner", R(r"(国家|国家级|全国|工信部|科技部)[^。；;]{0,12}揭榜挂帅[^。；;]{0,8}(优胜|胜出|获胜|入选|揭榜成功|中榜)|揭榜挂帅优胜|国家人工智能揭榜挂帅|national .{0,20}(jiebang|challenge).{0,10}(win|won)")),
    ("city_key_project", R(r"市[^。，]{0,3}揭榜挂帅|市科技重大专项|市里[^。，]{0,4}(发榜|揭榜)|科技重大专项")),
    ("annotation_platform_operator", R(r"标注[^。；]{0,8}平台[^。；]{0,6}(运营方|运营单位|运营商|建设运营)|(运营|建设)[^。；]{0,6}标注[^。；]{0,6}平台|(给|为|面向)[^。；]{0,6}标注企业[^。；]{0,14}平台|平台[^。；]{0,14}(给|为|面向)[^。；]{0,4}标注企业")),
    ("annotation_empowerment_significant", R(r"赋能(作用)?(显著|明显|突出)")),
    ("annotation_cluster_outstanding", R(r"标注产业[^。；]{0,14}(成效突出|做得好|成效显著|突出|很好)|(打造|培育|建设)[^。；]{0,6}标注[^。；]{0,12}(做得好|成效突出|成效显著|很好)")),
    ("annotation_enterprise", R(r"(数据)?标注(企业|公司|外包)|(做|从事|提供)[^。；]{0,4}(数据)?标注|打标签|标注服务商|label+ing (company|firm|vendor)|annotation (company|firm|vendor)")),
    ("data_trading_platform_operator", R(r"数据(交易|买卖|撮合|流通)(平台|所|中心|市场)|数据交易所|大数据交易|(数据)?买卖撮合|data (exchange|marketplace|trading)")),
    ("data_trading_outstanding", R(r"(交易|流通)[^。；]{0,10}成效(突出|显著)")),
    ("talent_training_base", R(r"(实训|培训|实习|人才)基地|training (base|centre|center)")),
    ("talent_base_outstanding", R(r"(就业|培育|培养)[^。；]{0,8}成效(突出|显著)")),
    ("national_enterprise_library", R(r"(国家级)?(数字经济)?(创新型)?企业(库|名录)|enterprise (library|list)")),
    ("national_excellent_case_or_pilot", R(r"(国家级|国家)[^。；]{0,14}(优秀案例|试点|典型案例)|(数据集|数据标注)[^。；]{0,10}(优秀案例|试点)|excellent case|national pilot")),
    ("benchmark_scenario", R(r"标杆(型)?场景|标杆(案例|项目)|示范(案例|场景)|benchmark scenario")),
    ("scenario_builder", R(r"建设方|承建|作为建设|scenario builder|built the scenario")),
    ("seeks_financing", R(r"贷款|信贷|银行|融资|授信|投资基金|产业基金|政府基金|引导基金|基金|国债|专项债|债券|loan|credit|bank|fund|bond")),
    ("talent_introduction", R(r"人才(?!实训|培训|基地|培育|培养|就业)|科学家|专家团队|团队引进|引进[^。；]{0,6}团队|talent(?! training)|scientist")),
    ("talent_achievements_significant", R(r"(转化)?成果(显著|突出)")),
]

HARDWARE = R(r"智能硬件|可穿戴|穿戴设备|智能手表|手环|(ai|ar|vr|mr|智能)眼镜|机器人|智能音箱|音箱|智能电脑|ai ?pc|笔记本电脑|平板电脑|耳机|智能终端|智能家居|扫地机|学习机|翻译机|词典笔|无人机|hardware|wearable|robot|smart (glasses|speaker|watch)|smartwatch")
SOFTWARE = R(r"(ai|人工智能|智能)软件|软件产品|saas|自研软件|软件|software|\bapp\b")
AGENT = R(r"工业智能体|智能体|agent")
VERTICAL = R(r"垂类(大)?模型|垂直(大)?模型|行业(大)?模型|专用(大)?模型|领域(大)?模型|vertical (large )?model|domain model|industry model")
BARE_MODEL = R(r"大模型|模型|large model|\bllm\b")
MODEL_WORK = R(r"开发|研发|自研|微调|精调|训练|做|二次开发|develop|fine.?tun|train|build")
DOMAINS = ["先进制造", "文化科技", "交通出行", "医疗健康", "安全生产", "应急管理", "医疗", "交通", "制造", "金融", "教育", "能源", "农业", "政务", "法律"]

PLATFORM = R(r"平台|platform")
PLATFORM_LEVEL = [
    ("national", R(r"国家级|national")), ("provincial", R(r"省级|provincial")),
    ("city", R(r"市级|city.level|municipal")), ("district", R(r"区级|县级|区县级|district.level")),
]
PLATFORM_TYPES = [
    ("annotation_service", R(r"标注|annotation")), ("data_aggregation", R(r"数据归集|数据汇聚|数据汇集")),
    ("algorithm", R(r"算法")), ("computing_power", R(r"算力|智算|computing")),
    ("scenario_training", R(r"场景训练|训练场")), ("adaptation_testing", R(r"适配|测评|测试|检测|testing")),
]

APPLICANT = [
    ("district_government", R(r"(区|县|区县|县市)(人民)?政府|区里|县里|district government")),
    ("park_committee", R(r"管委会|园区管理委员会|(我们|本)园区|park committee")),
    ("university", R(r"(我们是|我们这所|本)[^，。和与跟]{0,4}(高校|大学)|我校|本校|we are a university")),
    ("research_institute", R(r"(我们是|本)[^，。和与跟]{0,4}(研究院|研究所|科研机构)|我院|本所|we are a research institute")),
    ("enterprise", R(r"(我们|我|本)(是)?(一家|一个)?[^，。]{0,12}(公司|企业)|我司|本公司|我们公司|our company|we are a company|startup")),
]

# what an amount is, by the words near it; the first family whose pattern is nearest before the amount wins
AMOUNT_CONTEXT: list[tuple[str, re.Pattern]] = [
    ("desired", R(r"能拿|能获得|可以拿|可获|能不能拿|拿多少|奖多少|补多少|给我|最多能|想要|想拿|希望|要拿|争取|期望|告诉我|can (we )?get|how much|want")),
    ("received", R(r"(已经?|曾经?|之前|此前|以前|去年|累计|总共|一共|今年)[^，。；]{0,8}(获得?了|获得过|拿了|拿过|拿到了?|领了|领过|已获|收到了?|得到了?|给了)|已获|已领|received|were awarded|got")),
    ("increment", R(r"增量|(比(去年|上年|上一年))?(多卖了?|多了|增长了?|增加了?|下降了?|减少了?|少卖了?|多)|新增|increase|growth|grew|more than last year|decrease|drop")),
    ("sales_this_year", R(r"(今年|本年度?)[^，。；]{0,8}(销售额|销售收入|营收|收入|卖了|销量|sales)|this year'?s? sales")),
    ("sales_last_year", R(r"(去年|上年|上一年)[^，。；]{0,8}(销售额|销售收入|营收|收入|卖了|销量)|last year'?s? sales")),
    ("model_cost", R(r"模型[^，。；]{0,6}(购买|采购|授权|许可|费用)|(购买|采购|买)[^，。；]{0,4}模型|购买费用|授权费|model (purchase|cost|licen)|purchase cost|licen[cs]e fee")),
    ("operating_cost", R(r"运营(费用|成本|经费|支出|投入)|运维(费用|成本)|operating (cost|expense)|running cost|opex")),
    ("contribution", R(r"纳税|税收|经济贡献|地方贡献|tax")),
]
DECREASE = R(r"下降|减少|少卖|decrease|drop|fell|declin")

RECEIVED_NONE = R(r"(没|未|从未|从没|还没|没有)(有)?(拿|获得|领|申请|享受)(过|到)?[^，。；]{0,6}(奖励|补贴|补助|资金)?|never (received|got)|not received")
THIS_YEAR = R(r"今年|本年|this year")
TOTAL = R(r"累计|总共|一共|此前|以前|之前|去年|历年|过去|in total|so far|previously|last year")
RECEIVED_PROGRAM = [
    ("innovation-platform-operation", R(r"运营|平台|operating|platform")),
    ("national-enterprise-library", R(r"企业库")), ("national-excellent-case", R(r"案例|试点")),
    ("open-source-project", R(r"开源")), ("vertical-model", R(r"模型|model")),
    ("smart-hardware-new-product", R(r"硬件|新品|新产品|销售")),
]

PROJECT_MARKER = R(r"(?P<name>[a-z甲乙丙丁])\s*项目|第(?P<ord>[一二三四五1-5])个?项目|项目\s*(?P<suffix>[a-z])(?![a-z])|(?P<another>另(一|外)一?个项目|另一项目|还有一个项目|其他项目|another project)|project (?P<en>[a-z])\b")
SAME_PROJECT = R(r"同一(个)?项目|这个项目|该项目|本项目|same project")

CORRECTION = R(r"说错|更正|纠正|改一下|不对|应该是|实际上?是|准确地?说|其实是|写错|打错|actually|correction|i meant|sorry,? (it|that)")
INJECTION = R(r"(忽略|无视|忘记|忘掉|不要管|跳过)[^。]{0,12}(规则|指令|提示|设定|限制|要求|以上|之前|前面)|系统提示|system prompt|你现在是|你扮演|扮演|角色扮演|假装你|开发者模式|developer mode|越狱|jailbreak|\bdan\b|ignore (all |the )?(previous|prior|above)|disregard|pretend (you|to)|you are now|act as|^\s*(system|assistant)\s*[:：]|\[system\]|<\|?system|新的指令|最高权限|管理员权限")
PROCEDURAL = R(r"(申报|申请)(材料|资料|流程|程序|时间|截止|入口|系统|网址|地址|渠道|方式|表|书)|需要(准备)?(什么|哪些)(材料|资料)|截止(日期|时间)|什么时候(可以)?(申报|申请|开始申报|截止)|(在|去|到)哪(里|儿)?(申报|申请|报|提交)|怎么(申报|申请)|如何(申报|申请)|how (do|can|should) (i|we) apply|where (do|can|to) (i|we )?apply|deadline|application (materials|documents|form|process)")
APPLICATION_DATE = R(r"(?P<y>20\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*(月|[\-/.])?\s*((?P<d>\d{1,2})\s*日?)?")
APPLY_WORDS = R(r"申报|申请|提交|apply|application")
