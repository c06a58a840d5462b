"""The Chinese pages in Chinese: class notes, rule explanations, worked examples, list
descriptions and scope clauses; and the real data carries each of them in both languages."""

import csv
from pathlib import Path

import pytest
import yaml
from django.utils import translation

from registry import services
from registry.web.phrases import SCOPE_CLAUSES
from tests.factories import ScheduleFactory

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
                "kind": "include",
                "smarts": "c1ccccc1",
                "explanation": "A benzene ring.",
                "explanation_zh": "一个苯环。",
            }
        ],
    )


def test_a_class_page_speaks_the_reader_s_language(client, bilingual_class):
    chinese = client.get("/zh-hans/classes/class-demo/").content.decode()
    for text in ("环保持原样。", "一个苯环。", "环本身。"):
        assert text in chinese
    for text in ("The ring stays as drawn.", "A benzene ring.", "The ring itself."):
        assert text not in chinese
    english = client.get("/classes/class-demo/").content.decode()
    assert "A benzene ring." in english and "一个苯环。" not in english


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
        assert all(example.get("why_zh") for example in spec["examples"]), spec["uid"]


@pytest.mark.parametrize("path", ["schedules.csv", "un/schedules.csv", "us/schedules.csv"])
def test_the_real_lists_are_described_in_both_languages(path):
    with (ROOT / "fixtures" / path).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["uid"] for r in rows if r["description"] and not r["description_zh"]] == []
