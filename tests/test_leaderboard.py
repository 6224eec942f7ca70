"""Leaderboard maths on known numbers (recbole_darec.leaderboard)."""

import math

import pytest
from scipy import stats

from recbole_darec.leaderboard import (
    mean_std,
    paired_test,
    pick_main_metric,
    relative_gain,
    render_markdown,
    summarize,
)


def test_mean_std_gain_and_paired_test_on_known_numbers():
    assert mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert mean_std([5.0]) == (5.0, 0.0)
    assert relative_gain(0.15, 0.12) == pytest.approx(0.25)
    model = {1: 0.20, 2: 0.22, 3: 0.25}
    base = {1: 0.18, 2: 0.21, 3: 0.22}
    p, n = paired_test(model, base)
    assert n == 3 and p == pytest.approx(stats.ttest_rel([0.20, 0.22, 0.25], [0.18, 0.21, 0.22]).pvalue)
    assert p == pytest.approx(0.0742, abs=1e-3)  # differences .02 .01 .03: t = 0.02 / (0.01 / sqrt 3) = 3.464, df 2
    assert math.isnan(paired_test({1: 0.2}, {1: 0.1})[0])  # one pair: no test
    assert paired_test({1: 0.3, 2: 0.4}, {1: 0.2, 2: 0.3}) == (0.0, 2)  # constant non-zero difference


def test_summary_marks_best_reports_gain_and_failures():
    rows = [
        {"model": "A", "seed": 1, "status": "ok", "test_recall@20": "0.10"},
        {"model": "A", "seed": 2, "status": "ok", "test_recall@20": "0.12"},
        {"model": "B", "seed": 1, "status": "ok", "test_recall@20": "0.13"},
        {"model": "B", "seed": 2, "status": "failed", "error": "exit 1: boom"},
    ]
    summary = summarize(rows, ["A", "B"], ["test_recall@20"])
    assert summary[0]["metrics"]["test_recall@20"]["mean"] == pytest.approx(0.11)
    assert summary[1]["metrics"]["test_recall@20"]["gain"] == pytest.approx(0.13 / 0.11 - 1)
    text = render_markdown(summary, ["test_recall@20"], "test_recall@20", "t")
    assert "**0.1300 ± 0.0000**" in text and "| B | 1 (1 failed) |" in text
    assert "+18.18%" in text and "B, seed 2: exit 1: boom" in text


def test_lower_is_better_metrics_are_bolded_at_their_minimum():
    rows = [
        {"model": m, "seed": 1, "status": "ok", "test_giniindex@10": v, "test_recall@10": r}
        for m, v, r in (("A", "0.30", "0.10"), ("B", "0.20", "0.12"))
    ]
    summary = summarize(rows, ["A", "B"], ["test_giniindex@10", "test_recall@10"])
    text = render_markdown(summary, ["test_giniindex@10", "test_recall@10"], "test_recall@10", "t")
    assert "| A | 1 | 0.3000 ± 0.0000 | 0.1000 ± 0.0000 |" in text
    assert "| B | 1 | **0.2000 ± 0.0000** | **0.1200 ± 0.0000** |" in text


def test_main_metric_is_named_with_or_without_its_prefix_and_an_unmeasured_one_is_refused():
    measured = ["test_ndcg@20", "test_recall@20"]
    assert pick_main_metric("NDCG@20", measured) == "test_ndcg@20"
    assert pick_main_metric("test_ndcg@20", measured) == "test_ndcg@20"
    with pytest.raises(ValueError, match="'mrr@10' was not measured; choose one of: ndcg@20, recall@20"):
        pick_main_metric("MRR@10", measured)
