"""Leaderboard maths on known numbers, and the compare runner's failure recording and resume."""

import csv
import math
import os

import pytest
from conftest import run_cli, write_random_embeddings
from scipy import stats

from recbole_darec.leaderboard import mean_std, paired_test, relative_gain, render_markdown, summarize


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


def test_compare_records_failures_and_resumes_without_retraining(tmp_path):
    out = tmp_path / "cmp"
    args = ["-m", "recbole_darec.compare", "--models=LightGCN,NoSuchModel", "--dataset=ml-100k", "--seeds=2",
            f"--out={out}", "--epochs=1", f"--data_path={tmp_path / 'dataset'}"]
    first = run_cli(*args, "--jobs=2")  # two runs at once; the resume below runs one at a time
    assert first.returncode == 1, first.stderr[-2000:]  # a failed model makes the exit status non-zero
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    status = {(r["model"], r["seed"]): r["status"] for r in rows}
    assert status == {("LightGCN", "2020"): "ok", ("LightGCN", "2021"): "ok",
                      ("NoSuchModel", "2020"): "failed", ("NoSuchModel", "2021"): "failed"}
    ok = [r for r in rows if r["status"] == "ok"]
    assert all(float(r["test_recall@20"]) > 0 and float(r["train_s_per_epoch"]) > 0 and float(r["peak_mem_mb"]) > 0
               and r["epochs_run"] == "1" for r in ok)
    assert "unknown model 'NoSuchModel'" in next(r["error"] for r in rows if r["status"] == "failed")
    assert (out / "results.png").stat().st_size > 1000
    markdown = (out / "results.md").read_text()
    assert "| LightGCN | 2 |" in markdown and "NoSuchModel" in markdown

    # the two LightGCN runs started together: each kept its own best checkpoint
    assert len([p for p in (out / "saved").glob("LightGCN-*.pth") if not p.name.endswith(".last.pth")]) == 2

    stamp = os.path.getmtime(out / "runs" / "LightGCN-seed2020.json")
    second = run_cli(*args)
    assert "LightGCN seed 2020: done earlier, kept" in second.stdout
    assert "LightGCN seed 2021: done earlier, kept" in second.stdout
    assert os.path.getmtime(out / "runs" / "LightGCN-seed2020.json") == stamp


def test_recbole_hyper_parameter_search_runs_our_models(tmp_path):
    import shutil

    from recbole_darec.data import BUNDLED

    folder = tmp_path / "dataset" / "ml-100k"
    shutil.copytree(BUNDLED["ml-100k"], folder)
    write_random_embeddings(folder, "ml-100k", "user", range(1, 944))  # user-supplied vectors: no encoding
    write_random_embeddings(folder, "ml-100k", "item", range(1, 1683))
    params = tmp_path / "grid.hyper"
    params.write_text("darec_glo_weight choice [0.0,0.01]\n")
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(f"epochs: 1\ndata_path: {tmp_path / 'dataset'}\ncheckpoint_dir: {tmp_path / 'saved'}\n"
                     "show_progress: False\n")
    report = tmp_path / "search.md"
    result = run_cli("-m", "recbole_darec.hyper", "--model=DaRecLightGCN", "--dataset=ml-100k",
                     f"--params_file={params}", f"--config_files={fixed}", f"--output_file={report}")
    assert result.returncode == 0, result.stderr[-3000:]
    text = report.read_text()
    assert "darec_glo_weight:0.0" in text and "darec_glo_weight:0.01" in text and "best params" in text


def test_seed_lists_and_counts():
    from recbole_darec.compare import seeds_from

    assert seeds_from("3") == [2020, 2021, 2022]
    assert seeds_from("7,9") == [7, 9]
    assert seeds_from("2022,") == [2022]
