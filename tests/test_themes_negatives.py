"""Every "it is not" line of THEMES.md as a parametrised test, with positive controls.

The sentences are written for these tests (none comes from the shared corpus).
Each case is (sentence, theme, expected): the theme must (not) be found.
"""

from __future__ import annotations

import pytest

from govtext.documents import Document
from govtext.themes import Matcher, load_dictionary


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(dictionary=load_dictionary()).fit()


CASES = [
    # found by review on the provincial reports: characters that straddle words, and look-alikes
    ("各部门要各自治理辖区河道。", "self_governance", False),
    ("书记亲自治理信访积案。", "self_governance", False),
    ("推进公共治理现代化。", "co_governance", False),
    ("加强新污染物协同治理。", "co_governance", False),
    ("健全学校家庭社会协同育人机制。", "co_governance", False),
    ("举办外资企业圆桌会。", "co_governance", False),
    ("社区召开居民圆桌会商议停车难题。", "co_governance", True),
    ("推动多方联动、协同高效维护国家安全。", "co_governance", False),
    ("开发区加大放权赋权力度。", "empowerment", False),
    ("提升综合枢纽服务效能。", "effectiveness", False),
    ("推动政务数据高效共享利用。", "effectiveness", False),
    ("推动川渝通办提质增效。", "effectiveness", True),
    ("深入推进近邻党建。", "party_building", True),
    # whistle_report — 条块结合 of 1980s economic administration is not street-level coordination
    ("实行政企分开、条块结合，推动企业组织结构合理化。", "whistle_report", False),
    ("街道统筹职能部门条块结合、协同处置群众诉求。", "whistle_report", True),
    # party_building — the national formula of governing the country by law is not grassroots party work
    ("依法治国是党领导人民治理国家的基本方略。", "party_building", False),
    ("坚持党组织领导社区治理，统筹驻区单位资源。", "party_building", True),
    # self_governance — not 民族区域自治, administrative names, 高度自治, technical autonomy
    ("广西壮族自治区", "self_governance", False),
    ("广西壮族自治区人民政府召开常务会议。", "self_governance", False),
    ("延边朝鲜族自治州的旅游收入增长较快。", "self_governance", False),
    ("长阳土家族自治县新建三所小学。", "self_governance", False),
    ("鄂伦春自治旗加强森林防火工作。", "self_governance", False),
    ("内蒙古自治区成立七十周年。", "self_governance", False),
    ("该州实行民族区域自治制度已有多年。", "self_governance", False),
    ("民族自治地方依法行使自治权。", "self_governance", False),
    ("香港特别行政区实行高度自治。", "self_governance", False),
    ("当年提出在该地区实行民族地方自治的主张。", "self_governance", False),
    ("全面准确贯彻一国两制、港人治港、澳人治澳、高度自治的方针。", "self_governance", False),
    ("这款无人机可以在断网时自治飞行，集群之间自治协同。", "self_governance", False),
    ("团队研发了新一代自治系统。", "self_governance", False),
    ("社区推行居民自治，由居民自我管理、自我服务。", "self_governance", True),
    ("完善村民自治制度。", "self_governance", True),
    ("基层群众自治充满活力。", "self_governance", True),
    ("业主委员会召集业主商议加装电梯。", "self_governance", True),
    ("新疆维吾尔自治区推动社区居民自治。", "self_governance", True),
    # rule_of_law — not a law merely named as a list item
    ("书架上摆着《民法典》《劳动法》和几本小说。", "rule_of_law", False),
    ("他的发言提到了《道路交通安全法》和《森林法》。", "rule_of_law", False),
    ("区政府坚持依法行政，努力建成法治政府。", "rule_of_law", True),
    ("市人大制定街道办事处条例，明确街道职责。", "rule_of_law", True),
    ("开展普法宣传进社区活动。", "rule_of_law", True),
    # rule_of_virtue — not business ethics or biography
    ("这家公司强调商业道德和合规经营。", "rule_of_virtue", False),
    ("公司要求员工恪守职业道德，不得泄露客户信息。", "rule_of_virtue", False),
    ("他在回忆录中谈到自己年轻时的道德困惑。", "rule_of_virtue", False),
    ("在社区倡导社会公德、家庭美德、职业道德和个人品德。", "rule_of_virtue", True),
    ("推进移风易俗，培育文明乡风。", "rule_of_virtue", True),
    ("街道把社会主义核心价值观写进社区公约。", "rule_of_virtue", True),
    # co_construction — not Belt and Road / international, 双拥共建, co-founded labs, parks, platforms, industries
    ("该市企业参与共建“一带一路”项目。", "co_construction", False),
    ("今年对共建“一带一路”沿线各国出口有所回升。", "co_construction", False),
    ("坚持共商共建共享，深化国际合作。", "co_construction", False),
    ("与东盟国家共建自由贸易区。", "co_construction", False),
    ("区里开展双拥共建活动，慰问驻地官兵。", "co_construction", False),
    ("与高校共建联合实验室。", "co_construction", False),
    ("两市共建产业园区。", "co_construction", False),
    ("校企共建实训平台。", "co_construction", False),
    ("两省共建新能源产业集群。", "co_construction", False),
    ("驻区单位与社区共驻共建。", "co_construction", True),
    ("推动社区共建，动员驻区单位参与基层治理。", "co_construction", True),
    ("街道探索共建共治共享的小区治理办法。", "co_construction", True),
    # co_governance — not inter-regional economic co-ordination
    ("两地建立跨区域共治机制，共同招商引资。", "co_governance", False),
    ("推动成渝两地产业协同和市场共治。", "co_governance", False),
    ("两省加强产业协作，推动区域经济协调发展。", "co_governance", False),
    ("推动多元共治，引导社会组织参与社区治理。", "co_governance", True),
    ("完善议事协商机制，问计于民。", "co_governance", True),
    # shared_benefits — not data/information sharing, bikes, the sharing economy, shared labs/equipment/farms, tax sharing
    ("推进政务数据共享。", "shared_benefits", False),
    ("打破信息孤岛，实现部门间信息共享。", "shared_benefits", False),
    ("规范共享单车停放秩序。", "shared_benefits", False),
    ("发展共享经济和平台经济。", "shared_benefits", False),
    ("建设共享实验室，推动大型仪器设备共享。", "shared_benefits", False),
    ("在城郊建设一批共享农场。", "shared_benefits", False),
    ("完善省以下税收收入共享机制。", "shared_benefits", False),
    ("发展成果由人民共享。", "shared_benefits", True),
    ("让全体居民都能分享发展成果，做到人人共享。", "shared_benefits", True),
    # empowerment — not 赋能 in the economic sense
    ("用人工智能赋能千行百业的各个环节。", "empowerment", False),
    ("以文化赋能经济发展。", "empowerment", False),
    ("数字技术赋能产业升级。", "empowerment", False),
    ("深化职务科技成果赋权改革。", "empowerment", False),
    ("全国碳排放权交易市场运行平稳。", "empowerment", False),
    ("持续为基层减负赋能。", "empowerment", True),
    ("向街道赋权，下放事权。", "empowerment", True),
    # push_down — not 下沉市场 / commercial channels, not physical subsidence
    ("电商平台加速布局下沉市场。", "push_down", False),
    ("品牌渠道加快下沉，抢占县域消费市场。", "push_down", False),
    ("因地下水超采，部分地区出现地面下沉。", "push_down", False),
    ("公园里新建了一座下沉式广场。", "push_down", False),
    ("推动干部力量下沉到社区。", "push_down", True),
    ("促进优质医疗资源下沉到县乡。", "push_down", True),
    # effectiveness — not 降本增效 / 提质增效 of enterprises, industries, parks, farms, labs
    ("推动企业降本增效。", "effectiveness", False),
    ("推动工业园区提质增效。", "effectiveness", False),
    ("促进农业提质增效。", "effectiveness", False),
    ("推动家庭农场提质增效。", "effectiveness", False),
    ("实验室运行提质增效。", "effectiveness", False),
    ("开展物流降本增效专项行动。", "effectiveness", False),
    ("提升基层治理效能。", "effectiveness", True),
    ("推进政务服务提质增效。", "effectiveness", True),
    # party_building — not party discipline or ideology without governing
    ("全面从严治党，严肃党的纪律。", "party_building", False),
    ("加强党员理想信念教育。", "party_building", False),
    ("基层党组织开展党纪学习教育。", "party_building", False),
    ("坚持党建引领基层治理。", "party_building", True),
    ("推行在职党员到社区双报到。", "party_building", True),
    # whistle_report and complaint_response have no "it is not"; positive controls
    ("街乡吹哨、部门报到，条块协同解决难题。", "whistle_report", True),
    ("完善接诉即办机制，推动未诉先办。", "complaint_response", True),
    ("市民拨打12345热线反映噪声问题。", "complaint_response", True),
    ("订单号为1234567的包裹已发出。", "complaint_response", False),
]


@pytest.mark.parametrize(("sentence", "theme", "expected"), CASES)
def test_themes_negatives_it_is_not(matcher: Matcher, sentence: str, theme: str, expected: bool) -> None:
    found = {h.theme for h in matcher.transform(Document("t", sentence))}
    reasons = [
        f"{c.rule}:{c.term}:{c.status}:{c.reason}"
        for c in matcher.explain(Document("t", sentence))
        if c.theme == theme
    ]
    assert (theme in found) is expected, reasons


def test_themes_negatives_cover_every_theme_with_an_it_is_not() -> None:
    # THEMES.md gives an "it is not" for ten of the twelve themes.
    negated = {t for _, t, e in CASES if not e}
    assert negated >= set(load_dictionary().themes) - {"whistle_report"}
    assert {t for _, t, e in CASES if e} == set(load_dictionary().themes)


def test_themes_negatives_national_reports_have_no_ethnic_autonomy_as_self_governance(
    matcher: Matcher, national_file
) -> None:
    import json

    from govtext.concordance import kwic

    with national_file.open(encoding="utf-8") as fh:
        docs = [Document(f"n{i}", json.loads(line)["content"]) for i, line in enumerate(fh)]
    lines = [k for k in kwic(docs, "self_governance", matcher, width=8) if k.status == "counted"]
    assert lines  # 村民自治 and friends do occur
    for k in lines:
        context = k.left + k.match + k.right
        assert not any(
            w in context for w in ("自治区", "自治州", "自治县", "高度自治", "民族区域自治", "地方自治")
        ), context
