"""The Chinese report reads as Chinese: no lever registry name, no Python repr, no English
money unit in what a reader sees (the raw JSON record in the provenance foldout is a
machine record and is left as written)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sim.plots import fonts
from sim.plots import labels as lbl
from sim.report.build import write_report
from sim.report.compare import write_comparison
from sim.report.lever_words import PARAMS
from tests import test_report_fixtures as fx
from tests.test_report_numbers import write_baseline, write_plan

pytestmark = pytest.mark.skipif(fonts.cjk_family() is None, reason="no CJK font installed")

LEVER_IDS = sorted({*lbl.LEVER_NAMES, "layout_optimisation", "teacher_rotation"}, key=len,
                   reverse=True)
REPR = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\w=\S|\[['\"]|\{['\"]")
ENGLISH_MONEY = re.compile(r"\d\s*(bn|m|k)?\s*yuan\b|\bmillion yuan\b")


class Visible(HTMLParser):
    """Text a reader sees, without the <details> record and <style>."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("details", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("details", "style", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def visible(page: Path) -> str:
    parser = Visible()
    parser.feed(page.read_text(encoding="utf-8"))
    return "\n".join(parser.text)


def assert_chinese(text: str) -> None:
    for name in LEVER_IDS:
        if "_" in name:
            assert name not in text, name
    assert not REPR.search(text), REPR.search(text).group(0)
    assert not ENGLISH_MONEY.search(text), ENGLISH_MONEY.search(text).group(0)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("zh")
    base, plan = write_baseline(root / "baseline"), write_plan(root / "plan")
    return {"plan": write_report(plan, lang="zh", out=root / "plan-zh", formats=("png",),
                                 dpi=50),
            "compare": write_comparison([base, plan], out=root / "cmp-zh", lang="zh",
                                        formats=("png",), dpi=50),
            "experiment": write_report(fx.write_experiment(root / "exp"), lang="zh",
                                       out=root / "exp-zh", formats=("png",), dpi=50)}


@pytest.mark.parametrize("kind", ["plan", "compare", "experiment"])
def test_zh_report_has_no_identifier_repr_or_english_money(pages, kind):
    text = visible(pages[kind])
    assert "规划目标" in text or "情景" in text
    assert_chinese(text)


def test_zh_plan_prints_levers_as_sentences_and_money_in_yi_or_wan(pages):
    text = visible(pages["plan"])
    assert "布局优化(2 项设置,合计累计成本" in text
    assert "交流轮岗:自2024年起;全市各县;年交流轮岗比例:15%;累计成本" in text
    assert re.search(r"全部政策累计成本 [\d,.]+ (亿元|万元)。", text)


def test_every_lever_setting_has_a_chinese_name():
    from sim.levers import REGISTRY, _load_all

    _load_all()
    keys = {k for cls in REGISTRY.values() for k in cls.Params.model_fields} - {"type"}
    assert keys <= set(PARAMS), sorted(keys - set(PARAMS))
    for kind in REGISTRY:
        assert kind in lbl.LEVER_NAMES, kind


def test_money_in_chinese_units():
    assert lbl.fmt_yuan(1.024e10, "zh") == "102.40 亿元"
    assert lbl.fmt_yuan(5.04e7, "zh") == "5,040 万元"
    assert lbl.fmt_yuan(2.5e5, "zh") == "25.0 万元"
    assert lbl.fmt_yuan(800, "zh") == "800 元"
    assert lbl.fmt_yuan(1.024e10) == "10.24 bn yuan"
