"""The compare runner: failure recording, resume, seeds."""

import csv
import os

import pytest


@pytest.mark.slow
def test_compare_records_failures_and_resumes_without_retraining(tmp_path, run_cli, toy_profiled):
    import shutil

    data = shutil.copytree(toy_profiled, tmp_path / "data")  # its files change at the end of this test
    out = tmp_path / "cmp"
    args = [
        "-m",
        "recbole_darec.compare",
        "--models=LightGCN,RLMRecConLightGCN",
        "--dataset=toy",
        "--seeds=2",
        f"--out={out}",
        "--epochs=1",
        f"--data_path={data}",
        "--rlmrec_temperature=0",  # a value only the model checks, when it is built: its runs fail, LightGCN's do not
    ]
    first = run_cli(*args, "--jobs=2")  # two runs at once; the resume below runs one at a time
    assert first.returncode == 1, first.stderr[-2000:]  # a failed model makes the exit status non-zero
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    status = {(r["model"], r["seed"]): r["status"] for r in rows}
    assert status == {
        ("LightGCN", "2020"): "ok",
        ("LightGCN", "2021"): "ok",
        ("RLMRecConLightGCN", "2020"): "failed",
        ("RLMRecConLightGCN", "2021"): "failed",
    }
    ok = [r for r in rows if r["status"] == "ok"]
    assert all(
        float(r["test_recall@20"]) > 0
        and float(r["train_s_per_epoch"]) > 0
        and float(r["peak_mem_mb"]) > 0
        and r["epochs_run"] == "1"
        and r["best_epoch"] == "0"
        for r in ok
    )
    assert "'rlmrec_temperature' = 0 is out of range" in next(r["error"] for r in rows if r["status"] == "failed")
    assert (out / "results.png").stat().st_size > 1000
    markdown = (out / "results.md").read_text()
    assert "| LightGCN | 2 |" in markdown and "RLMRecConLightGCN" in markdown

    # the two LightGCN runs started together: each kept its own best checkpoint
    assert len([p for p in (out / "saved").glob("LightGCN-*.pth") if not p.name.endswith(".last.pth")]) == 2

    stamp = os.path.getmtime(out / "runs" / "LightGCN-seed2020.json")
    second = run_cli(*args)
    assert "LightGCN seed 2020: done earlier, kept" in second.stdout
    assert "LightGCN seed 2021: done earlier, kept" in second.stdout
    assert os.path.getmtime(out / "runs" / "LightGCN-seed2020.json") == stamp
    assert "run_config" not in (out / "results.csv").read_text().splitlines()[0]  # kept in the row files only

    # a finished run is never counted as another configuration's, nor as a run on other data
    other = run_cli(*args, "--learning_rate=0.01")
    assert other.returncode == 2
    assert "LightGCN-seed2020.json: it ran with learning_rate=0.001, this compare asks for learning_rate=0.01" in (
        other.stderr
    )
    assert "LightGCN-seed2021.json" in other.stderr and "Use another --out" in other.stderr
    with open(data / "toy" / "toy.inter", "a") as f:
        f.write("1\t2\n")
    changed = run_cli(*args)
    assert changed.returncode == 2
    assert "trained on other data than is there now (toy.inter changed)" in changed.stderr
    assert os.path.getmtime(out / "runs" / "LightGCN-seed2020.json") == stamp


def test_seed_lists_and_counts(capsys, tmp_path):
    from recbole_darec.compare import main, seeds_from

    assert seeds_from("3") == [2020, 2021, 2022]
    assert seeds_from("7,9") == [7, 9]
    assert seeds_from("2022,") == [2022]
    with pytest.raises(ValueError, match="--seeds=twenty: give a count"):
        seeds_from("twenty")
    for slip in ("2020", "0"):  # a seed without its comma would start 2020 runs; no runs is no comparison
        with pytest.raises(ValueError, match="must be 1 to 100; for the one seed"):
            seeds_from(slip)
    with pytest.raises(SystemExit) as stop:  # refused before any run starts or any folder is made
        main(["--models=LightGCN", "--dataset=ml-100k", "--seeds=2020", f"--out={tmp_path / 'never'}"])
    assert stop.value.code == 2 and "write --seeds=2020," in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def ok_row(model, seed):
    """What a finished run hands ``compare`` (the fields its tables read)."""
    return {"model": model, "seed": seed, "status": "ok", "error": "", "test_recall@20": 0.1, "valid_curve": ""}


def test_runs_go_seed_by_seed_so_a_batch_cut_short_leaves_complete_pairs(tmp_path, monkeypatch):
    import recbole_darec.compare as compare

    started = []

    def fake_run(model, dataset, seed, config_files, overrides, out):
        started.append((model, seed))
        return ok_row(model, seed)

    monkeypatch.setattr(compare, "run_one", fake_run)
    monkeypatch.setattr(compare, "run_problems", lambda *args: [])  # models A and B exist only here
    assert compare.main(["--models=A,B", "--seeds=2", f"--out={tmp_path}", "--jobs=1"]) == 0
    assert started == [("A", 2020), ("B", 2020), ("A", 2021), ("B", 2021)]


def test_two_processes_storing_rows_at_once_lose_none(tmp_path):
    """Two real processes on one --out, each storing 30 rows as fast as it can: every row reaches results.csv."""
    import subprocess
    import sys

    from recbole_darec.reporting import read_rows

    script = (
        "import sys\n"
        "from recbole_darec.compare import store_row\n"
        "for seed in range(30):\n"
        "    store_row(sys.argv[1], {'model': sys.argv[2], 'seed': seed, 'status': 'ok', 'test_recall@20': 0.1})\n"
    )
    processes = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), model]) for model in ("A", "B")]
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    rows = read_rows(tmp_path / "results.csv")
    assert sorted((r["model"], r["seed"]) for r in rows) == [(m, seed) for m in "AB" for seed in range(30)]


def test_a_key_only_one_run_sets_is_another_models_setting(tmp_path):
    """A preset shared by several models sets every model's keys: compare ignores a key one side lacks, never a
    value that differs (resume stays strict)."""
    import json

    from recbole_darec.checkpoint import config_to_json, first_difference
    from recbole_darec.config import Config

    config = Config(model="LightGCN", dataset="ml-100k", config_dict={"data_path": str(tmp_path)})
    recorded = json.loads(config_to_json(config))
    shared_preset = Config(
        model="LightGCN", dataset="ml-100k", config_dict={"data_path": str(tmp_path), "alpharec_negatives": 64}
    )
    assert first_difference(recorded, shared_preset, shared_keys_only=True) is None
    assert first_difference(recorded, shared_preset) == ("alpharec_negatives", "<unset>", 64)
    other_rate = Config(
        model="LightGCN", dataset="ml-100k", config_dict={"data_path": str(tmp_path), "learning_rate": 0.01}
    )
    assert first_difference(recorded, other_rate, shared_keys_only=True) == ("learning_rate", 0.001, 0.01)
    # how memory is handed out or how many threads run is the run's environment, not another run
    environment = Config(
        model="LightGCN",
        dataset="ml-100k",
        config_dict={"data_path": str(tmp_path), "reuse_freed_memory": False, "threads": 2},
    )
    assert recorded["reuse_freed_memory"] is True
    assert first_difference(recorded, environment) is None


def test_row_files_copied_in_reach_results_csv_with_nothing_to_run(tmp_path, monkeypatch):
    """Runs reused from another folder (their row files copied in) are in results.csv, though nothing trains."""
    import json

    import recbole_darec.compare as compare
    from recbole_darec.reporting import read_rows

    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "A-seed2020.json").write_text(json.dumps(ok_row("A", 2020)))
    monkeypatch.setattr(compare, "run_one", lambda *args: pytest.fail("nothing should train"))
    assert compare.main(["--models=A", "--seeds=2020,", f"--out={tmp_path}"]) == 0
    assert [(r["model"], r["seed"]) for r in read_rows(tmp_path / "results.csv")] == [("A", 2020)]


def test_killing_compare_ends_its_runs_and_stores_nothing(tmp_path):
    """``kill <pid>`` of a compare: its two running runs end with it, the queued third never starts, no row."""
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import subprocess, sys\n"
        "import recbole_darec.compare as compare, recbole_darec.run_store as run_store\n"
        "real_popen = subprocess.Popen\n"
        "def sleeper(command, **kwargs):  # a run that writes its pid, then trains for two minutes\n"
        "    code = 'import os, sys, time; open(sys.argv[1], \"w\").write(str(os.getpid())); time.sleep(120)'\n"
        "    marker = [a for a in command if a.startswith('--model=')][0][8:] + '.pid'\n"
        "    return real_popen([sys.executable, '-c', code, sys.argv[1] + '/' + marker], **kwargs)\n"
        "run_store.subprocess.Popen = sleeper\n"
        "compare.run_problems = lambda *args: []  # models A, B and C exist only here\n"
        "sys.exit(compare.main(['--models=A,B,C', '--seeds=1', '--out=' + sys.argv[1] + '/out', '--jobs=2']))\n"
    )
    runner = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)])
    deadline = time.time() + 120
    while len(list(tmp_path.glob("*.pid"))) < 2 or any(not p.read_text() for p in tmp_path.glob("*.pid")):
        assert time.time() < deadline and runner.poll() is None, "the two runs never started"
        time.sleep(0.2)
    children = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=60) == 128 + signal.SIGTERM
    time.sleep(1)
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # gone (reaped by compare before it exited)
    assert sorted(p.name for p in tmp_path.glob("*.pid")) == ["A.pid", "B.pid"]  # C never started
    assert not list((tmp_path / "out").glob("runs/*.json"))


@pytest.mark.slow
def test_a_run_cut_short_is_continued_from_its_last_epoch_to_the_same_figures(tmp_path, run_cli, toy_profiled):
    """An attempt that stopped after its first epochs left a last-epoch checkpoint in the compare's folder: the
    next compare continues it (not from scratch) and records the figures, costs and curve of the whole run."""
    import json

    from recbole_darec.quick_start import run_recbole_darec

    cut, straight = tmp_path / "cut", tmp_path / "straight"
    # a last-epoch checkpoint in the compare's folder: here that of a run that trained 2 of the 4 epochs asked for
    run_recbole_darec(
        "LightGCN",
        "toy",
        config_dict={
            "data_path": str(toy_profiled),
            "checkpoint_dir": str(cut / "saved"),
            "show_progress": False,
            "seed": 2020,
            "epochs": 2,
        },
    )
    args = ["-m", "recbole_darec.compare", "--models=LightGCN", "--dataset=toy", "--seeds=2020,", "--epochs=4"]
    for out in (cut, straight):
        done = run_cli(*args, f"--out={out}", f"--data_path={toy_profiled}")
        assert done.returncode == 0, done.stderr[-2000:]
    resumed, fresh = (json.loads((out / "runs" / "LightGCN-seed2020.json").read_text()) for out in (cut, straight))
    assert "Resumed from" in (cut / "runs" / "LightGCN-seed2020.log").read_text()
    assert resumed["resumed_at_epoch"] == 2 and fresh["resumed_at_epoch"] == ""
    assert resumed["epochs_run"] == fresh["epochs_run"] == 4
    curve = [epoch for epoch, _ in json.loads(resumed["valid_curve"])]
    assert curve == [epoch for epoch, _ in json.loads(fresh["valid_curve"])] == [0, 1, 2, 3]
    metrics = [k for k in fresh if k.startswith(("test_", "valid_")) and k != "valid_curve"]
    assert metrics and all(resumed[k] == fresh[k] for k in metrics)
    assert not list(cut.glob("saved/*.last.pth"))  # recorded: a rerun trains afresh


def test_report_only_rewrites_the_tables_of_the_runs_so_far_and_trains_nothing(tmp_path, monkeypatch):
    """A model with fewer seeds than asked is reported on the seeds it has; the missing ones are not trained."""
    import json

    import recbole_darec.compare as compare

    (tmp_path / "runs").mkdir()
    for model, seed in (("A", 2020), ("A", 2021), ("B", 2020)):
        (tmp_path / "runs" / f"{model}-seed{seed}.json").write_text(json.dumps(ok_row(model, seed)))
    monkeypatch.setattr(compare, "run_one", lambda *args: pytest.fail("nothing should train"))
    assert compare.main(["--models=A,B", "--seeds=2", f"--out={tmp_path}", "--report_only"]) == 0
    table = (tmp_path / "results.md").read_text()
    assert "| A | 2 |" in table and "| B | 1 |" in table


def test_a_run_finishing_beside_a_stored_row_is_not_read_as_a_row(tmp_path):
    """Another compare's run that just finished leaves its ``.metrics.json`` in runs/ until it is read."""
    import json

    from recbole_darec.compare import store_row

    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "B-seed2020.metrics.json").write_text(json.dumps({"test_recall@20": 0.2}))
    rows = store_row(str(tmp_path), ok_row("A", 2020))
    assert [(r["model"], r["seed"]) for r in rows] == [("A", 2020)]


def test_every_run_is_checked_before_the_first_trains(tmp_path, monkeypatch, capsys):
    """A misspelt key or model is found in seconds, not after the other models trained; nothing crashes after."""
    import recbole_darec.compare as compare

    monkeypatch.setattr(compare, "run_one", lambda *args: pytest.fail("nothing should train"))
    argv = ["--models=LightGCN,LightGCNN", "--dataset=ml-100k", f"--out={tmp_path}", f"--data_path={tmp_path}/d"]
    assert compare.main(argv) == 2
    err = capsys.readouterr().err
    assert "nothing was trained" in err and "LightGCNN: unknown model 'LightGCNN'" in err
    assert compare.main([*argv[:1], "--models=LightGCN", *argv[2:], "--darec_glo_weigth=1"]) == 2
    assert "did you mean 'darec_glo_weight'" in capsys.readouterr().err
