"""The Chinese pages in Chinese: class notes, rule explanations, worked examples, list
descriptions and scope clauses; and the real data carries each of them in both languages."""

import csv
import datetime
from pathlib import Path

import pytest
import yaml
from django.utils import translation

from registry import check, services
from registry.web.phrases import SCOPE_CLAUSES
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
            }
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
    for text in ("环保持原样。", "一个苯环。", "环本身。", "苯环规则"):
        assert text in chinese
    assert "<strong>ring</strong>" not in chinese
    for text in ("The ring stays as drawn.", "A benzene ring.", "The ring itself."):
        assert text not in chinese
    english = client.get("/classes/class-demo/").content.decode()
    assert "A benzene ring." in english and "一个苯环。" not in english
    assert "<strong>ring</strong>" in english and "苯环规则" not in english


def test_a_list_page_shows_its_description_in_chinese(client, db):
    ScheduleFactory(code="X", description="Salts are covered.", description_zh="其盐类受管制。")
    assert "其盐类受管制。" in client.get("/zh-hans/schedules/cn-list-x/").content.decode()
    assert "Salts are covered." in client.get("/schedules/cn-list-x/").content.decode()


def test_every_scope_clause_has_a_chinese_translation():
    with translation.override("zh-hans"):
        missing = [c for c in SCOPE_CLAUSES if translation.gettext(c) == c]
    assert missing == []


@pytest.mark.parametrize("path", ["classes.yaml", "us/classes.yaml"])
def test_the_real_classes_are_written_in_both_languages(path):
    for spec in yaml.safe_load((ROOT / "fixtures" / path).read_text("utf-8")):
        assert len(spec.get("notes_zh") or []) == len(spec.get("notes") or []), spec["uid"]
        assert all(rule.get("explanation_zh") for rule in spec["rules"]), spec["uid"]
        assert all(rule.get("label_zh") for rule in spec["rules"]), spec["uid"]
        assert all(example.get("why_zh") for example in spec["examples"]), spec["uid"]


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


def test_the_chinese_check_page_explains_the_matched_rule_in_chinese(client, listed_chinese_class):
    chinese = client.get("/zh-hans/check/", {"items": "CCc1ccccc1"}).content.decode()
    assert "符合规则“带小碳基团的苯环”。" in chinese
    assert (
        "苯环上连接一个小碳基团。匹配的基团：R1：碳骨架含 2 个碳（条件：carbons 1-3）。" in chinese
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
            "苯环上连接一个小碳基团。匹配的基团：R1：碳骨架含 2 个碳（条件：carbons 1-3）。"
        )
