"""The benchmark scripts a GPU session or a user runs: their dry runs work here, and the cost benchmark measures."""

import os
import subprocess
import sys

import pytest


def test_the_gpu_check_dry_run_passes_without_a_gpu(repo_root):
    done = subprocess.run(
        ["bash", "benchmarks/gpu_check.sh", "--dry-run"], cwd=repo_root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "cost_growth.py --sizes=large" in done.stdout and "--models=L3AE" in done.stdout


def test_the_gpu_check_refuses_an_unknown_option(repo_root):
    done = subprocess.run(["bash", "benchmarks/gpu_check.sh", "--fast"], cwd=repo_root, capture_output=True, text=True)
    assert done.returncode == 2 and "unknown option --fast" in done.stderr


@pytest.mark.slow
def test_the_cost_benchmark_measures_every_model_on_a_tiny_synthetic_size(repo_root, tmp_path):
    script = os.path.join(repo_root, "benchmarks", "cost_growth.py")
    command = [sys.executable, script, "--sizes=tiny", "--models=LightGCN,L3AE", f"--data_path={tmp_path / 'd'}"]
    done = subprocess.run(command + [f"--out={tmp_path / 'cost.md'}"], cwd=repo_root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    table = (tmp_path / "cost.md").read_text()
    assert "| tiny | LightGCN |" in table and "| tiny | L3AE |" in table and "Growth exponents" in table
    assert "| 1.00 |" in table.split("| tiny | LightGCN |")[1].splitlines()[0]  # LightGCN against itself


@pytest.mark.slow
def test_the_eval_memory_benchmark_gives_the_same_metric_at_every_budget(repo_root, tmp_path):
    script = os.path.join(repo_root, "benchmarks", "eval_memory.py")
    command = [sys.executable, script, "--size=tiny", "--budgets=~,0.001,64", f"--data_path={tmp_path / 'd'}"]
    done = subprocess.run(command, cwd=repo_root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row[0] for row in rows] == ["| ~", "| 0.001", "| 64"] and len({row[-1] for row in rows}) == 1
    assert [int(row[1]) for row in rows] == [10, 1, 600]  # RecBole's 4,096 // 401 items; one user; every user


def test_growth_exponents_are_the_slopes_against_interactions_and_against_nodes(repo_root, monkeypatch):
    monkeypatch.syspath_prepend(os.path.join(repo_root, "benchmarks"))
    from cost_growth import growth

    # a cost linear in the interactions and, since the nodes grow as their square root here, quadratic in the nodes
    rows = [{"interactions": n, "nodes": n**0.5, "build_s": 3.0 * n, "peak_mb": None} for n in (1e4, 1e5, 1e6)]
    assert growth(rows, "build_s") == pytest.approx(1.0)
    assert growth(rows, "build_s", "nodes") == pytest.approx(2.0)
    assert growth(rows, "peak_mb") is None  # a figure no size has: no exponent, not a made-up one


def test_the_encoding_precision_study_plans_every_precision_instruction_set_and_thread_count(repo_root):
    script = os.path.join(repo_root, "benchmarks", "encoding_precision.py")
    done = subprocess.run([sys.executable, script, "--dry_run", "--threads=1,2"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    plan = done.stdout.splitlines()
    assert len(plan) == 3 * 3 * 2 and plan[0].endswith("float64, native, 1 thread(s)")
    assert any(line.endswith("float32, pinned, sse4.2, 2 thread(s)") for line in plan)
