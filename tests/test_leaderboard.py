"""Leaderboard maths on known numbers (recbole_darec.leaderboard)."""

import csv
import json
import math

import pytest
from scipy import stats

from recbole_darec.leaderboard import main
from recbole_darec.reporting import (
    mean_std,
    mean_std_cell,
    paired_comparison,
    pick_main_metric,
    relative_gain,
    render_markdown,
    summarize,
)


def test_mean_std_gain_and_paired_test_on_known_numbers():
    assert mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)
    mean, std = mean_std([5.0])
    assert mean == 5.0 and math.isnan(std)  # one seed: no spread to show
    assert mean_std_cell(mean, std) == "5.0000" and mean_std_cell(2.0, 1.0) == "2.0000 ± 1.0000"
    assert relative_gain(0.15, 0.12) == pytest.approx(0.25)
    model = {1: 0.20, 2: 0.22, 3: 0.25}
    base = {1: 0.18, 2: 0.21, 3: 0.22}
    gain, p, n, no_test = paired_comparison(model, base)
    assert n == 3 and p == pytest.approx(stats.ttest_rel([0.20, 0.22, 0.25], [0.18, 0.21, 0.22]).pvalue)
    assert p == pytest.approx(0.0742, abs=1e-3)  # differences .02 .01 .03: t = 0.02 / (0.01 / sqrt 3) = 3.464, df 2
    assert gain == pytest.approx(0.67 / 0.61 - 1) and no_test == ""
    one = paired_comparison({1: 0.2}, {1: 0.1})  # one pair: a gain, no test
    assert one.gain == pytest.approx(1.0) and math.isnan(one.p) and one.no_test == "1 pair"
    same = paired_comparison({1: 0.3, 2: 0.4}, {1: 0.2, 2: 0.3})  # identical differences: no test, not p = 0
    assert math.isnan(same.p) and same.no_test == "identical differences" and same.n_pairs == 2


def test_gain_and_test_use_the_same_paired_seeds():
    """Seed 3 of the baseline has no partner: it is left out of the gain as it is of the test."""
    rows = [
        {"model": m, "seed": seed, "status": "ok", "test_recall@20": value}
        for m, seed, value in (
            ("A", 1, "0.10"),
            ("A", 2, "0.12"),
            ("A", 3, "0.50"),
            ("B", 1, "0.11"),
            ("B", 2, "0.14"),
        )
    ]
    summary = summarize(rows, ["A", "B"], ["test_recall@20"])
    assert summary[0]["metrics"]["test_recall@20"]["mean"] == pytest.approx(0.24)  # the table: all of A's seeds
    paired = summary[1]["metrics"]["test_recall@20"]
    assert paired["gain"] == pytest.approx(0.125 / 0.11 - 1) and paired["n_pairs"] == 2
    text = render_markdown(summary, ["test_recall@20"], "test_recall@20", "t")
    p = stats.ttest_rel([0.11, 0.14], [0.10, 0.12]).pvalue
    assert f"| B | +13.64% | {p:.3g} | 2 |" in text


def test_summary_marks_best_reports_gain_and_failures():
    rows = [
        {"model": "A", "seed": 1, "status": "ok", "test_recall@20": "0.10"},
        {"model": "A", "seed": 2, "status": "ok", "test_recall@20": "0.12"},
        {"model": "B", "seed": 1, "status": "ok", "test_recall@20": "0.13"},
        {"model": "B", "seed": 2, "status": "failed", "error": "exit 1: boom"},
    ]
    summary = summarize(rows, ["A", "B"], ["test_recall@20"])
    assert summary[0]["metrics"]["test_recall@20"]["mean"] == pytest.approx(0.11)
    assert summary[1]["metrics"]["test_recall@20"]["gain"] == pytest.approx(0.13 / 0.10 - 1)  # seed 1, the pair
    text = render_markdown(summary, ["test_recall@20"], "test_recall@20", "t")
    assert "**0.1300**" in text and "| B | 1 (1 failed) |" in text
    assert "| B | +30.00% | no test (1 pair) | 1 |" in text and "B, seed 2: exit 1: boom" in text


def test_lower_is_better_metrics_are_bolded_at_their_minimum():
    rows = [
        {"model": m, "seed": 1, "status": "ok", "test_giniindex@10": v, "test_recall@10": r}
        for m, v, r in (("A", "0.30", "0.10"), ("B", "0.20", "0.12"))
    ]
    summary = summarize(rows, ["A", "B"], ["test_giniindex@10", "test_recall@10"])
    text = render_markdown(summary, ["test_giniindex@10", "test_recall@10"], "test_recall@10", "t")
    assert "| A | 1 | 0.3000 | 0.1000 |" in text
    assert "| B | 1 | **0.2000** | **0.1200** |" in text


def test_main_metric_is_named_with_or_without_its_prefix_and_an_unmeasured_one_is_refused():
    measured = ["test_ndcg@20", "test_recall@20"]
    assert pick_main_metric("NDCG@20", measured) == "test_ndcg@20"
    assert pick_main_metric("test_ndcg@20", measured) == "test_ndcg@20"
    with pytest.raises(ValueError, match="'mrr@10' was not measured; choose one of: ndcg@20, recall@20"):
        pick_main_metric("MRR@10", measured)


def test_main_metric_defaults_to_the_runs_valid_metric_then_recall():
    measured = ["test_ndcg@20", "test_recall@20"]
    rows = [{"valid_metric": ""}, {"valid_metric": "NDCG@20"}]
    assert pick_main_metric(None, measured, rows) == "test_ndcg@20"
    assert pick_main_metric(None, measured, [{"valid_metric": ""}]) == "test_recall@20"


def _write_results(path, rows):
    path.mkdir()
    columns = ["model", "seed", "status", "error", "valid_metric", "test_recall@20", "test_ndcg@20"]
    with open(path / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, columns, restval="")
        writer.writeheader()
        writer.writerows(rows)


def _ok(model, seed, recall, ndcg):
    return {
        "model": model,
        "seed": seed,
        "status": "ok",
        "valid_metric": "recall@20",
        "test_recall@20": recall,
        "test_ndcg@20": ndcg,
    }


def test_leaderboard_pairs_runs_of_several_folders_by_seed_with_renames(tmp_path, capsys):
    base = [0.30, 0.32, 0.31]
    tuned = [0.31, 0.34, 0.315]
    _write_results(
        tmp_path / "a",
        [_ok("LightGCN", 2020 + i, r, 0.2) for i, r in enumerate(base)]
        + [_ok("DaRecLightGCN", 2020 + i, 0.29, 0.2) for i in range(3)],
    )
    # seed 2020 failed in b and was run again into c: merged, the model has 3 runs and no failure
    failed = {"model": "DaRecLightGCN", "seed": 2020, "status": "failed", "error": "exit -15"}
    _write_results(tmp_path / "b", [failed] + [_ok("DaRecLightGCN", 2021 + i, r, 0.2) for i, r in enumerate(tuned[1:])])
    _write_results(tmp_path / "c", [_ok("DaRecLightGCN", 2020, tuned[0], 0.2)])
    out = tmp_path / "table.md"
    rename = ":DaRecLightGCN=DaRec (tuned)"
    sources = [str(tmp_path / "a"), f"{tmp_path / 'b' / 'results.csv'}{rename}", f"{tmp_path / 'c'}{rename}"]
    assert main([*sources, "--models=LightGCN,DaRec (tuned)", f"--out={out}"]) == 0
    text = out.read_text()
    assert text in capsys.readouterr().out
    p = stats.ttest_rel(tuned, base).pvalue
    gain = sum(tuned) / sum(base) - 1
    assert f"| DaRec (tuned) | {100 * gain:+.2f}% | {p:.3g} | 3 |" in text
    assert "| DaRec (tuned) | 3 |" in text and "failed" not in text.lower()
    assert "| DaRecLightGCN |" not in text  # not asked for
    assert "Relative to LightGCN on test_recall@20" in text  # the runs' valid_metric
    assert main([*sources, "--models=LightGCN,DaRec (tuned)", "--seeds=2021,2022,", f"--out={out}"]) == 0
    p = stats.ttest_rel(tuned[1:], base[1:]).pvalue
    assert f"| DaRec (tuned) | {100 * (sum(tuned[1:]) / sum(base[1:]) - 1):+.2f}% | {p:.3g} | 2 |" in out.read_text()
    assert "| LightGCN | 2 |" in out.read_text()  # means over the kept seeds only
    assert main([*sources, "--seeds=twenty"]) == 2
    assert "--seeds=twenty: give a count (3) or a list of seeds" in capsys.readouterr().err


def test_leaderboard_refuses_a_run_found_twice_unknown_models_and_bad_renames(tmp_path, capsys):
    _write_results(tmp_path / "a", [_ok("LightGCN", 2020, 0.3, 0.2)])
    _write_results(tmp_path / "b", [_ok("LightGCN", 2020, 0.4, 0.2), _ok("SGL", 2020, 0.4, 0.2)])
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert main([a, b]) == 2
    assert "LightGCN seed 2020 is in both" in capsys.readouterr().err
    assert main([a, f"{b}:LightGCN=LightGCN (b)", "--models=LightGCN,NCL"]) == 2
    assert "no runs of NCL" in capsys.readouterr().err
    assert main([a, f"{b}:NCL=x"]) == 2
    assert "has no model NCL to rename (it has: LightGCN, SGL)" in capsys.readouterr().err
    assert main([a, f"{b}:LightGCN"]) == 2  # no '=': read as a path, which does not exist
    assert "does not exist" in capsys.readouterr().err
    assert main([a, f"{b}:LightGCN=LightGCN (b)", "--main_metric=mrr@10"]) == 2
    assert "'mrr@10' was not measured" in capsys.readouterr().err
    assert main([a, f"{b}:LightGCN=LightGCN (b)"]) == 0


def test_a_deterministic_model_is_compared_with_the_seeds_spread_not_a_paired_test():
    from recbole_darec.reporting import summarize

    fitted = json.dumps({"MODEL_TYPE": "TRADITIONAL", "model": "EASE"})
    trained = json.dumps({"MODEL_TYPE": "GENERAL", "model": "LightGCN"})
    rows = [
        {"model": "LightGCN", "seed": s, "status": "ok", "m": v, "run_config": trained} for s, v in enumerate([1, 2, 3])
    ]
    rows += [{"model": "EASE", "seed": s, "status": "ok", "m": 4.0, "run_config": fitted} for s in range(3)]
    ease = summarize(rows, ["LightGCN", "EASE"], ["m"])[1]["metrics"]["m"]
    assert ease["gain"] == pytest.approx(1.0) and math.isnan(ease["p"])  # no paired test over identical figures
    assert ease["no_test"] == "deterministic model: +2.0 std of the 3 seeds"
    lightgcn_vs_ease = summarize(rows, ["EASE", "LightGCN"], ["m"])[1]["metrics"]["m"]
    assert lightgcn_vs_ease["no_test"] == "deterministic baseline: +2.0 std of the 3 seeds"
