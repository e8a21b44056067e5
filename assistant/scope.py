"""Is a message about this policy? Off-topic requests and other cities' policies get a polite redirect."""

from __future__ import annotations

import re

from knowledge.glossary import load_glossary

OTHER_PLACES = re.compile(r"北京|上海|深圳|广州|杭州|武汉|成都|重庆|天津|南京|苏州|西安|合肥|郑州|株洲|湘潭|岳阳|衡阳|常德|"
                          r"beijing|shanghai|shenzhen|guangzhou|hangzhou|wuhan|chengdu")
CHANGSHA = re.compile(r"长沙|湘江新区|changsha")
OFF_TOPIC = re.compile(r"天气|下雨|下雪|气温|温度|台风|写(一)?首|诗|笑话|菜谱|做菜|股票|基金净值|彩票|电影|球赛|足球|篮球|星座|"
                       r"翻译一下|weather|rain|poem|joke|recipe|stock price|lottery|movie|football")
POLICY_WORDS = re.compile(r"政策|奖励|补贴|补助|资助|扶持|申报|申请|条件|上限|封顶|多少钱|能拿|人工智能|ai\b|智能|模型|智能体|agent|"
                          r"平台|算力|数据|标注|机器人|硬件|软件|开源|揭榜|场景|基金|贷款|信贷|债|人才|科学家|有效期|从高不重复|"
                          r"责任单位|工信局|数据局|科技局|subsid|grant|award|policy|model|platform|robot|hardware|software|loan|talent|valid")


def in_scope(message: str, has_facts: bool) -> bool:
    text = message.lower()
    if OTHER_PLACES.search(text) and not CHANGSHA.search(text):
        return False
    domain = bool(POLICY_WORDS.search(text)) or has_facts or _glossary_hit(text)
    if OFF_TOPIC.search(text) and not (has_facts or _strong_domain(text)):
        return False
    return domain


def _strong_domain(text: str) -> bool:
    return bool(re.search(r"政策|奖励|补贴|人工智能|模型|平台|标注|申报", text))


def _glossary_hit(text: str) -> bool:
    return load_glossary().expand(text) != text
