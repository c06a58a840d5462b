"""The Chinese pages in Chinese: class notes, rule explanations, worked examples, list
descriptions and scope clauses; and the real data carries each of them in both languages."""

import csv
import datetime
import re
from pathlib import Path

import pytest
import yaml
from django.utils import translation

from registry import check, services
from registry.models import COVERAGE, COVERAGE_LABELS
from registry.web import phrases
from registry.web.phrases import SCOPE_CLAUSES, chemistry_reasons
from substances import chemistry
from tests.factories import InstrumentFactory, ScheduleFactory

ROOT = Path(__file__).resolve().parents[2]
ACTOR = services.Actor(name="test")


@pytest.fixture
def bilingual_class(db):
    return services.define_class(
        actor=ACTOR,
        uid="class-demo",
        name_en="Demo class",
        name_zh="示例类物质",
        notes="- The ring stays as drawn.",
        notes_zh="- 环保持原样。",
        examples=[
            {
                "name": "Benzene",
                "smiles": "c1ccccc1",
                "expected": True,
                "why": "The ring itself.",
                "why_zh": "环本身。",
            },
            {
                "name": "Toluene",
                "name_zh": "甲苯",
                "smiles": "Cc1ccccc1",
                "expected": True,
                "why": "A ring with a methyl.",
                "why_zh": "带甲基的苯环。",
            },
        ],
        rules=[
            {
                "label": "ring",
                "label_zh": "苯环规则",
                "kind": "include",
                "smarts": "c1ccccc1",
                "explanation": "A benzene ring.",
                "explanation_zh": "一个苯环。",
            }
        ],
    )


def test_a_class_page_speaks_the_reader_s_language(client, bilingual_class):
    chinese = client.get("/zh-hans/classes/class-demo/").content.decode()
    for text in ("环保持原样。", "一个苯环。", "环本身。", "苯环规则", ">甲苯</a>"):
        assert text in chinese
    assert ">Toluene</a>" not in chinese
    assert ">Benzene</a>" in chinese  # no Chinese name given: the English one
    assert "<strong>ring</strong>" not in chinese
    for text in ("The ring stays as drawn.", "A benzene ring.", "The ring itself."):
        assert text not in chinese
    english = client.get("/classes/class-demo/").content.decode()
    assert "A benzene ring." in english and "一个苯环。" not in english
    assert "<strong>ring</strong>" in english and "苯环规则" not in english
    assert ">Toluene</a>" in english and "甲苯" not in english


def test_a_list_page_shows_its_description_in_chinese(client, db):
    ScheduleFactory(code="X", description="Salts are covered.", description_zh="其盐类受管制。")
    assert "其盐类受管制。" in client.get("/zh-hans/schedules/cn-list-x/").content.decode()
    assert "Salts are covered." in client.get("/schedules/cn-list-x/").content.decode()


def test_every_scope_clause_has_a_chinese_translation():
    with translation.override("zh-hans"):
        missing = [c for c in SCOPE_CLAUSES if translation.gettext(c) == c]
    assert missing == []


def test_every_scope_clause_of_the_real_lists_is_shown_in_chinese():
    # A clause added to a fixture without its translation showed in English on the Chinese
    # pages (the ephedrine-type group's stereoisomers, the List I classes).
    from registry.web.templatetags.web import scope_text

    english = re.compile(r"[a-z]{4}")
    untranslated = set()
    with translation.override("zh-hans"):
        for path in ("listings.csv", "un/listings.csv", "us/listings.csv"):
            with open(ROOT / "fixtures" / path, encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    for clause in row["scope"].split("; "):
                        if english.search(clause) and scope_text(clause) == clause:
                            untranslated.add(clause)
    assert sorted(untranslated) == []


def test_a_list_s_chinese_remark_in_a_real_scope_carries_its_english_gloss():
    # The English pages showed such remarks in Chinese only ("包括含曲马多复方制剂").
    cjk = re.compile(r"[\u4e00-\u9fff]")
    gloss = re.compile(r"\([ -~]*[A-Za-z][ -~]*\)")
    unglossed = []
    for path in ("listings.csv", "un/listings.csv", "us/listings.csv"):
        with open(ROOT / "fixtures" / path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                clauses = row["scope"].split("; ")
                assert len(clauses) == len(set(clauses)), row["uid"]  # no clause twice
                unglossed += [c for c in clauses if cjk.search(c) and not gloss.search(c)]
    assert unglossed == []


def test_a_glossed_remark_is_shown_alone_on_the_chinese_pages():
    from registry.web.templatetags.web import scope_text

    scope = "salts; 包括含曲马多复方制剂 (including compound preparations containing tramadol)"
    with translation.override("en"):
        assert scope_text(scope) == scope
    with translation.override("zh-hans"):
        assert scope_text(scope) == translation.gettext("salts") + "；包括含曲马多复方制剂"


@pytest.mark.parametrize("path", ["classes.yaml", "us/classes.yaml"])
def test_the_real_classes_are_written_in_both_languages(path):
    for spec in yaml.safe_load((ROOT / "fixtures" / path).read_text("utf-8")):
        assert len(spec.get("notes_zh") or []) == len(spec.get("notes") or []), spec["uid"]
        assert all(rule.get("explanation_zh") for rule in spec["rules"]), spec["uid"]
        assert all(rule.get("label_zh") for rule in spec["rules"]), spec["uid"]
        assert all(example.get("why_zh") for example in spec["examples"]), spec["uid"]


@pytest.mark.parametrize(
    ("body", "english", "chinese"),
    [
        ("carbons 1-3", "1-3 C in its carbon skeleton", "碳骨架含1-3个碳"),
        (
            "carbons 3-8 | heterocycle; linker 0-2",
            "3-8 C in its carbon skeleton; or a heterocycle, and 0-2 acyclic atoms before its"
            " first ring",
            "碳骨架含3-8个碳；或含杂环，且第一个环之前有0-2个非环原子",
        ),
        ("carbons 5-; acyclic", "at least 5 C in its carbon skeleton, and no ring", None),
        ("mass <= 500", "at most 500 g/mol", "至多500 g/mol"),
        ("elements C, N, O", "no element but C, H, N, O", "仅含元素C, H, N, O"),
        ("not a condition", "not a condition", "not a condition"),
    ],
)
def test_a_rule_s_condition_line_is_said_in_words(body, english, chinese):
    with translation.override("en"):
        assert check.condition_words(body) == english
    if chinese:
        with translation.override("zh-hans"):
            assert check.condition_words(body) == chinese


@pytest.mark.parametrize("path", ["schedules.csv", "un/schedules.csv", "us/schedules.csv"])
def test_the_real_lists_are_described_in_both_languages(path):
    with (ROOT / "fixtures" / path).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["uid"] for r in rows if r["description"] and not r["description_zh"]] == []


@pytest.fixture
def listed_chinese_class(db):
    cls = services.define_class(
        actor=ACTOR,
        uid="class-toluenes",
        name_en="Toluene-like substances",
        name_zh="类甲苯物质",
        rules=[
            {
                "label": "ring with a small carbon group",
                "label_zh": "带小碳基团的苯环",
                "kind": "include",
                "smarts": "[#6;!R:1]-c1ccccc1\ngroup 1 (R1): carbons 1-3",
                "explanation": "A benzene ring bearing a small carbon group.",
                "explanation_zh": "苯环上连接一个小碳基团。",
            }
        ],
    )
    services.list_substance(
        schedule=ScheduleFactory(code="T", name="List T", name_zh="T目录"),
        instrument=InstrumentFactory(effective_on=datetime.date(2020, 1, 1)),
        effective_from=datetime.date(2020, 1, 1),
        substance_class=cls,
        actor=ACTOR,
    )
    return cls


def test_a_class_page_says_its_rules_conditions_in_words(client, listed_chinese_class):
    chinese = client.get("/zh-hans/classes/class-toluenes/").content.decode()
    assert "<li>R1：碳骨架含1-3个碳</li>" in chinese
    english = client.get("/classes/class-toluenes/").content.decode()
    assert "<li>R1: 1-3 C in its carbon skeleton</li>" in english


def test_the_chinese_check_page_explains_the_matched_rule_in_chinese(client, listed_chinese_class):
    chinese = client.get("/zh-hans/check/", {"items": "CCc1ccccc1"}).content.decode()
    assert "符合规则“带小碳基团的苯环”。" in chinese
    assert (
        "苯环上连接一个小碳基团。匹配的基团：R1：碳骨架含 2 个碳（条件：碳骨架含1-3个碳）。"
        in chinese
    )
    assert "目录和类别" in chinese and "（类甲苯物质）" in chinese
    assert "<strong>1 项管制</strong>，0 项不受管制，0 项未知。" in chinese
    for english in ("ring with a small carbon group", "A benzene ring", "Groups matched"):
        assert english not in chinese
    english = client.get("/check/", {"items": "CCc1ccccc1"}).content.decode()
    assert "Rule “ring with a small carbon group” matched." in english
    assert "Groups matched: R1: 2 C in its carbon skeleton (carbons 1-3)." in english
    assert "<strong>1 controlled</strong>, 0 not, 0 unknown." in english
    assert "带小碳基团的苯环" not in english


def test_a_verdict_carries_the_rule_in_both_languages_whatever_the_reader_s(listed_chinese_class):
    for language in ("en", "zh-hans"):
        with translation.override(language):
            (result,) = check.check_items(["CCc1ccccc1"], on=datetime.date(2021, 1, 1))
        (match,) = result.matches
        assert match["rule"] == "ring with a small carbon group"
        assert match["rule_zh"] == "带小碳基团的苯环"
        assert match["explanation"].startswith("A benzene ring bearing a small carbon group.")
        assert match["explanation_zh"] == (
            "苯环上连接一个小碳基团。匹配的基团：R1：碳骨架含 2 个碳（条件：碳骨架含1-3个碳）。"
        )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_act_with_an_english_reference_is_headed_by_its_chinese_title(
    client, three_jurisdictions
):
    html = client.get("/zh-hans/instruments/un-cnd-63-1971-4-cmc/").content.decode()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html)[1]
    assert heading == "麻醉药品委员会决定：将4-氯甲卡西酮列入《1971年精神药物公约》附表二"
    # The reference stays, as secondary text marked as English.
    assert '<p class="small" lang="en">CND 63 (2020), decision number not confirmed</p>' in html
    assert html.count("麻醉药品委员会决定：将4-氯甲卡西酮") == 2  # the heading and the title
    english = client.get("/instruments/un-cnd-63-1971-4-cmc/").content.decode()
    assert re.search(r"<h1>(.*?)</h1>", english)[1] == (
        "CND 63 (2020), decision number not confirmed"
    )
    assert "CND decision placing 4-CMC in Schedule II" in english


def test_an_act_numbered_in_chinese_keeps_its_number_on_the_chinese_pages(client, sample):
    html = client.get("/zh-hans/instruments/cn-2025-55/").content.decode()
    assert re.search(r"<h1[^>]*>(.*?)</h1>", html)[1] == "2025年第55号"
    assert '<p class="subtitle">关于发布2025年版目录的公告</p>' in html


def test_the_chinese_lists_of_acts_link_them_by_their_chinese_titles(client, three_jurisdictions):
    """A reference that describes an act in English words gives way to its Chinese title; a
    citation (64 FR 37673, 2025年第55号) stays what a reader quotes, its title beside it."""
    html = client.get("/zh-hans/instruments/").content.decode()
    links = re.findall(r'<a href="/zh-hans/instruments/[^"]+/"[^>]*>(.*?)</a>', html)
    assert "1971年5月1日生效的美国联邦列管行动（联邦公报出处未查明）" in links
    assert "64 FR 37673" in links and "2025年第55号" in links
    assert not [link for link in links if "FR citation not identified" in link]
    # The Chinese title is beside the citation.
    row = html[html.index(">64 FR 37673</a>") :]
    assert '<span class="small">将氯胺酮列入附表三</span>' in row[: row.index("</tr>")]
    home = client.get("/zh-hans/").content.decode()
    assert "64 FR 37673</a>" in home and "FR citation not identified</a>" not in home
    english = client.get("/instruments/").content.decode()
    assert ">64 FR 37673</a>" in english
    assert ">DEA scheduling action in force on 1971-05-01 (FR citation not identified)</a>" in (
        english
    )


def test_the_chinese_check_explains_a_form_with_chinese_names_and_words(
    client, three_jurisdictions
):
    query = {"items": "levamfetamine", "on": "1990-01-01"}
    html = client.get("/zh-hans/check/", query).content.decode()
    assert "左苯丙胺，为苯丙胺的立体异构体（该条目涵盖立体异构体）" in html
    for english in ("Levamfetamine", "Amfetamine", "stereoisomers"):
        assert english not in html
    english = _text(client.get("/check/", query).content.decode())
    assert (
        "(as Levamfetamine, which is a stereoisomer of Amfetamine (the entry covers "
        "stereoisomers))" in english
    )
    substance = _text(client.get("/zh-hans/substances/levamfetamine/").content.decode())
    assert "左苯丙胺，为苯丙胺的立体异构体（该条目涵盖立体异构体）： 苯丙胺" in substance


def test_every_coverage_word_has_a_chinese_translation():
    assert set(COVERAGE_LABELS) == set(COVERAGE)
    with translation.override("zh-hans"):
        words = {word: str(label) for word, label in COVERAGE_LABELS.items()}
    assert [word for word, label in words.items() if label == word] == []


def test_every_chemistry_reason_has_a_chinese_translation():
    messages = [message for _pattern, message in (*phrases._REASONS, *phrases._DETAILS)]
    messages += phrases._VERB_FORMS.values()
    with translation.override("zh-hans"):
        missing = [m for m in messages if m and translation.gettext(m) == m]
    assert missing == []


# What the chemistry answers for each, in its words: the Chinese pages must show none of these.
UNREADABLE = ["CC(C", "CC)C", "C1CC", "C(", "c1cccc1", "CN(C)(C)(C)C", "cc", "*CC", "C" * 250, ""]
ENGLISH_WORDS = re.compile(
    r"unparseable|invalid|error|parenthes|ring|valence|kekul|aromatic|wildcard|empty|large|long"
)


@pytest.mark.parametrize("text", UNREADABLE)
def test_the_chemistry_s_reasons_are_put_in_chinese(text):
    with pytest.raises(chemistry.ChemistryError) as refused:
        chemistry.parse_structure(text)
    reason = refused.value.reason
    with translation.override("zh-hans"):
        alone = chemistry_reasons(reason)
        quoted = chemistry_reasons(f"（也不是可解析的结构：{reason}）；a component: CCO ({reason})")
    assert not ENGLISH_WORDS.search(alone), alone
    assert not ENGLISH_WORDS.search(quoted.replace("a component", "")), quoted
    assert re.search(r"[\u4e00-\u9fff]", alone)
    with translation.override("en"):
        assert chemistry_reasons(reason) == reason


def test_the_chinese_check_page_says_why_a_structure_cannot_be_read_in_chinese(client, sample):
    items = "CC(C\nc1cccc1\n*CC"
    html = client.get("/zh-hans/check/", {"items": items}).content.decode()
    assert "无法解析的SMILES：左括号多余（在第3个字符附近）" in html
    assert "无效的SMILES：无法为芳香结构指定单双键" in html
    assert "结构不完整：含有通配原子（*）" in html
    assert not ENGLISH_WORDS.search(_text(html[html.index('id="verdicts"') :]))
    english = client.get("/check/", {"items": items}).content.decode()
    assert "unparseable SMILES: extra open parentheses at position 3" in english


@pytest.mark.parametrize(
    ("role", "english", "chinese"),
    [
        ("precursor", "precursor", "前体"),
        ("pre-precursor (via P-2-P)", "pre-precursor (via P-2-P)", "前体的前体（经P-2-P）"),
        ("reagent (bromination of propiophenone)", None, "试剂（bromination of propiophenone）"),
        ("something else", "something else", "something else"),
    ],
)
def test_a_precursor_role_is_said_in_the_reader_s_language(db, role, english, chinese):
    from registry.web.templatetags.web import role_text

    with translation.override("en"):
        assert role_text(role) == (english or role)
    with translation.override("zh-hans"):
        assert role_text(role) == chinese


def test_a_role_via_a_record_names_it_in_the_reader_s_language(db):
    # The data says "via pmk", the record's uid: the page says its name.
    from registry.web.templatetags.web import role_text
    from tests.factories import SubstanceFactory

    SubstanceFactory(uid="pmk", name_en="PMK", name_zh="3,4-亚甲二氧基苯基-2-丙酮")
    with translation.override("en"):
        assert role_text("pre-precursor (via pmk)") == "pre-precursor (via PMK)"
    with translation.override("zh-hans"):
        assert role_text("pre-precursor (via pmk)") == "前体的前体（经3,4-亚甲二氧基苯基-2-丙酮）"


def test_the_chinese_reason_names_the_list_and_the_coverage_in_chinese(db):
    from tests.factories import SubstanceFactory

    acetone = SubstanceFactory(uid="acetone", name_en="Acetone", name_zh="丙酮", smiles="CC(C)=O")
    services.list_substance(
        schedule=ScheduleFactory(
            code="P3", name="Precursors III", name_zh="第三类易制毒化学品", coverage=[]
        ),
        instrument=InstrumentFactory(effective_on=datetime.date(2020, 1, 1)),
        effective_from=datetime.date(2020, 1, 1),
        substance=acetone,
        actor=ACTOR,
    )
    with translation.override("zh-hans"):
        [result] = check.check_items(["CC(C)=O.Cl"], on=datetime.date(2024, 1, 1))
    assert result.status == "not_controlled"
    assert "第三类易制毒化学品" in result.reason and "盐类" in result.reason
    assert "Precursors III" not in result.reason and "salts" not in result.reason
