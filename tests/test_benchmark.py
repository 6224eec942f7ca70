"""The benchmark suite runner (recbole_darec.benchmark): suite files, the cross-dataset report, the smoke suite."""

import os

import pytest

from recbole_darec.atomic_io import atomic_write_csv
from recbole_darec.benchmark import build_report, main
from recbole_darec.suite import SuiteError, load_suite


def write_suite(path, text):
    path.write_text(text)
    return str(path)


def test_suite_files_are_checked_before_anything_runs(tmp_path, repo_root):
    seeds, settings, groups = load_suite(os.path.join(repo_root, "properties", "suites", "smoke.yaml"))
    assert seeds == "2020," and settings["epochs"] == 2
    fused = ("DaRec-fused", "DaRecLightGCN", {"darec_score": "fused"})
    assert groups == [("ml-100k", "LightGCN", [], [("LightGCN", "LightGCN", {}), fused], {})]
    with pytest.raises(SuiteError, match="a model is a name or"):
        load_suite(
            write_suite(
                tmp_path / "v.yaml", "datasets:\n  x:\n    backbones:\n      SGL:\n        models: [SGL, {x: 1}]\n"
            )
        )
    bad = write_suite(
        tmp_path / "a.yaml", "datasets:\n  x:\n    backbones:\n      SGL:\n        models: [DaRecSGL, SGL]\n"
    )
    with pytest.raises(SuiteError, match="must start with the backbone itself"):
        load_suite(bad)
    missing = write_suite(
        tmp_path / "b.yaml",
        "datasets:\n  x:\n    config_files: [nowhere.yaml]\n    backbones:\n      SGL:\n        models: [SGL]\n",
    )
    with pytest.raises(SuiteError, match="config file nowhere.yaml does not exist"):
        load_suite(missing)
    assert main([os.path.join(repo_root, "properties", "suites", "smoke.yaml"), "--backbones=SGL"]) == 2
    assert main([os.path.join(repo_root, "properties", "suites", "smoke.yaml"), "--models=DaRec"]) == 2
    with pytest.raises(SuiteError, match=r"unknown top-level key\(s\) \['seed'\]"):
        load_suite(write_suite(tmp_path / "c.yaml", "seed: 3\n"))
    with pytest.raises(SuiteError, match=r"d.yaml: seeds 2020 is read as a number .* seeds: \[2020\]"):
        load_suite(write_suite(tmp_path / "d.yaml", "seeds: 2020\ndatasets: {}\n"))


def test_report_compares_each_method_with_its_backbone_and_rlmrec_con(tmp_path):
    """Three seeds: C is ahead of A by 0.02 +- noise on every seed (a win); B is level with A (a tie)."""
    values = {"A": [0.30, 0.31, 0.29], "B": [0.31, 0.30, 0.29], "C": [0.32, 0.335, 0.31]}
    models = ["LightGCN", "RLMRecConLightGCN", "DaRecLightGCN"]
    rows = []
    for model, name in zip(models, "ABC"):
        for seed, value in zip((2020, 2021, 2022), values[name]):
            rows.append(
                {
                    "model": model,
                    "seed": seed,
                    "status": "ok",
                    "test_recall@20": value,
                    "test_ndcg@20": value / 2,
                    "group1_group": "Q1 (1-3 training interactions)",
                    "group1_users": 10,
                    "group1_test_interactions": 12,
                    "group1_recall@20": value - 0.1,
                    "warm_items_users": 10,
                    "warm_items_test_interactions": 20,
                    "warm_items_recall@20": value,
                    "cold_items_users": 2,
                    "cold_items_test_interactions": 3,
                    "cold_items_recall@20": 0.0,
                }
            )
    folder = tmp_path / "toy-LightGCN"
    folder.mkdir()
    atomic_write_csv(folder / "results.csv", rows, list(rows[0]))
    entries = [(m, m, {}) for m in models]
    text, table = build_report([("toy", "LightGCN", [], entries, {})], str(tmp_path), "3")
    assert "## toy / LightGCN" in text and "| Q1 (1-3 training interactions) | 10 | 12 |" in text
    assert "| cold items | 2 | 3 | 0.0000 ± 0.0000 |" in text
    darec = next(r for r in table if r["model"] == "DaRecLightGCN")
    assert darec["test_recall@20_vs_backbone"] == "win" and darec["test_recall@20_gain"] == pytest.approx(0.065 / 0.90)
    rlmrec = next(r for r in table if r["model"] == "RLMRecConLightGCN")
    assert rlmrec["test_recall@20_vs_backbone"] == "tie"
    assert "| DaRec | 2 | 0 | 0 | 0 |" in text and "| RLMRecCon | 0 | 2 | 0 | 0 |" in text
    assert "vs RLMRec-Con" in text and "+7.22% (p = " in text  # DaRec against the backbone, Recall@20
    assert "| DaRecLightGCN | 3 | – |" in text  # no validation column in these rows: shown as missing


@pytest.mark.slow
def test_the_smoke_suite_runs_and_resumes(tmp_path, ml100k_profiles, repo_root, capsys):
    suite = os.path.join(repo_root, "properties", "suites", "smoke.yaml")
    out = tmp_path / "smoke"
    args = [suite, f"--out={out}", f"--data_path={ml100k_profiles}", "--show_progress=False"]
    assert main(args) == 0
    report = (out / "report.md").read_text()
    assert "## ml-100k / LightGCN" in report and "| DaRec-fused | 1 |" in report
    assert (out / "ml-100k-LightGCN" / "DaRec-fused" / "results.csv").is_file()  # a variant's own folder
    assert "| warm items |" in report and "no test: 1 pair" in report
    assert (out / "report.csv").read_text().startswith("dataset,backbone,model,runs")
    capsys.readouterr()
    assert main(args) == 0
    assert "DaRecLightGCN seed 2020: done earlier, kept" in capsys.readouterr().out


def test_a_suite_runs_seed_by_seed_across_groups_and_variants(tmp_path, monkeypatch):
    """A suite cut short leaves complete pairs: every run of a seed starts before any of the next seed."""
    import recbole_darec.benchmark as benchmark

    calls = []
    monkeypatch.setattr(benchmark.compare, "main", lambda argv: calls.append(argv) or 0)
    models = [("LightGCN", "LightGCN", {}), ("AlphaRec", "AlphaRec", {})]
    models.append(("DaRec-fused", "DaRecLightGCN", {"darec_score": "fused"}))
    failed = benchmark.run_suite("2", {"epochs": 2}, {"epochs": 3}, [("toy", "LightGCN", [], models, {})], "o", 1)
    assert failed == {}
    order = [(a[0], a[1], a[3]) for a in calls]
    assert order == [
        ("--models=LightGCN", "--seeds=2020,", "--out=o/toy-LightGCN"),
        ("--models=AlphaRec", "--seeds=2020,", "--out=o/toy-LightGCN"),
        ("--models=DaRecLightGCN", "--seeds=2020,", "--out=o/toy-LightGCN/DaRec-fused"),
        ("--models=LightGCN", "--seeds=2021,", "--out=o/toy-LightGCN"),
        ("--models=AlphaRec", "--seeds=2021,", "--out=o/toy-LightGCN"),
        ("--models=DaRecLightGCN", "--seeds=2021,", "--out=o/toy-LightGCN/DaRec-fused"),
        # the last pass, one per folder: every seed, nothing trained, the folder's tables rewritten
        ("--models=LightGCN,AlphaRec", "--seeds=2", "--out=o/toy-LightGCN"),
        ("--models=DaRecLightGCN", "--seeds=2", "--out=o/toy-LightGCN/DaRec-fused"),
    ]
    assert all(a[-1] == "--report_only" for a in calls[-2:]) and "--report_only" not in calls[0]
    assert "--epochs=3" in calls[0] and "--darec_score=fused" in calls[2]  # the command line beats the suite
    calls.clear()  # more seeds for some models only: a variant by its name, a plain model by its class
    groups = [("toy", "LightGCN", [], models, {})]
    assert benchmark.run_suite("2", {}, {}, groups, "o", 1, trained=["DaRec-fused", "AlphaRec"]) == {}
    trained = [(a[0], a[1]) for a in calls if a[-1] != "--report_only"]
    assert trained == [
        ("--models=AlphaRec", "--seeds=2020,"),
        ("--models=DaRecLightGCN", "--seeds=2020,"),
        ("--models=AlphaRec", "--seeds=2021,"),
        ("--models=DaRecLightGCN", "--seeds=2021,"),
    ]
    assert len(calls) == len(trained) + 2  # every folder's tables still rewritten, LightGCN's rows included


def test_seeds_runs_and_reports_a_part_of_the_suite(tmp_path, monkeypatch, capsys):
    """Two machines share a suite by seeds; a seed outside the suite's is refused before anything runs."""
    import recbole_darec.benchmark as benchmark

    calls = []
    monkeypatch.setattr(benchmark.compare, "main", lambda argv: calls.append(argv) or 0)
    monkeypatch.setattr(benchmark, "run_problems", lambda *args: [])  # the dataset 'toy' exists only here
    suite = write_suite(
        tmp_path / "s.yaml",
        "seeds: 3\ndatasets:\n  toy:\n    backbones:\n      LightGCN:\n        models: [LightGCN]\n",
    )
    out = f"--out={tmp_path / 'o'}"
    assert main([suite, out, "--seeds=2022,"]) == 0
    assert [a[1] for a in calls] == ["--seeds=2022,", "--seeds=2022,"]  # the seed's run, then the folder's pass
    assert "seeds 2022" in (tmp_path / "o" / "report.md").read_text()
    calls.clear()
    assert main([suite, out, "--seeds=2021,2023,"]) == 2
    assert "s.yaml runs seeds 2020, 2021, 2022; --seeds=2021,2023, names 2023 outside them" in capsys.readouterr().err
    assert calls == []


def test_every_shipped_suite_names_real_files_models_and_settings(repo_root, monkeypatch):
    """A typo in a shipped suite (a model, a variant's setting, a preset path) fails here, not hours into a run."""
    import glob

    from recbole_darec.config import known_keys
    from recbole_darec.model.lookup import get_model

    monkeypatch.chdir(repo_root)  # suites name their config files relative to the checkout
    keys = known_keys()
    suites = sorted(glob.glob(os.path.join("properties", "suites", "*.yaml")))
    assert len(suites) >= 4
    for suite in suites:
        _, settings, groups = load_suite(suite)
        assert set(settings) <= keys, suite
        for dataset, backbone, _, models, group_settings in groups:
            assert set(group_settings) <= keys, (suite, dataset, backbone)
            for name, model, variant_settings in models:
                get_model(model)
                assert set(variant_settings) <= keys, (suite, name, set(variant_settings) - keys)
