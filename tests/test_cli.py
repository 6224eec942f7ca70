"""run_recbole_darec.py: training from the command line, clear one-line errors, the README command."""

import os
import re

import pytest

METRIC_LINE = re.compile(r"test result: \{.*'recall@20': [0-9.]+.*'ndcg@20': [0-9.]+")


@pytest.mark.slow
def test_cli_trains_one_epoch_and_reports_metrics(tmp_path, run_cli):
    result = run_cli(
        "run_recbole_darec.py",
        "--model=LightGCN",
        "--dataset=ml-100k",
        "--epochs=1",
        f"--data_path={tmp_path}",
        f"--checkpoint_dir={tmp_path / 'saved'}",
        "--show_progress=False",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best valid: {" in result.stdout and "'recall@20'" in result.stdout
    assert METRIC_LINE.search(result.stdout), result.stdout


def _main(capsys, *args):
    """run_recbole_darec.py's main in this process: (exit code, one-line stderr)."""
    import run_recbole_darec

    code = run_recbole_darec.main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("model", ["LightGCNN", "DaRecMatrixFactorization"])
def test_unknown_model_is_a_clear_error(capsys, model):
    code, err = _main(capsys, f"--model={model}", "--dataset=ml-100k")
    assert code == 2
    assert f"unknown model '{model}'" in err and "DaRecLightGCN" in err


def test_missing_dataset_names_the_path_and_the_fix(tmp_path, capsys):
    code, err = _main(capsys, "--model=LightGCN", "--dataset=no-such-data", f"--data_path={tmp_path}")
    assert code == 2
    assert os.path.join(str(tmp_path), "no-such-data", "no-such-data.inter") in err
    assert "recbole_darec.convert" in err


def test_bad_config_value_is_a_clear_error(tmp_path, capsys):
    code, err = _main(capsys, "--model=LightGCN", "--dataset=ml-100k", "--epochs=ten", f"--data_path={tmp_path}")
    assert code == 2 and "'epochs'" in err and "integer" in err


def test_a_misspelt_setting_is_refused_with_the_key_it_resembles(tmp_path, capsys):
    """RecBole accepts any key: --darec_glo_weigth=0.5 would train with the default global weight, silently."""
    code, err = _main(capsys, "--model=DaRecLightGCN", "--dataset=ml-100k", "--darec_glo_weigth=0.5")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1
    assert "'darec_glo_weigth'" in lines[0] and "did you mean 'darec_glo_weight'?" in lines[0]
    preset = tmp_path / "preset.yaml"
    preset.write_text("learning_rate: 0.005\nrlmrec_temprature: 0.1\n")
    code, err = _main(capsys, "--model=LightGCN", "--dataset=ml-100k", f"--config_files={preset}")
    assert code == 2 and f"config file {preset}" in err and "did you mean 'rlmrec_temperature'?" in err


def test_readme_test_command_is_what_ci_runs(repo_root):
    readme = open(os.path.join(repo_root, "README.md")).read()
    ci = open(os.path.join(repo_root, ".ci", "run")).read()
    command = re.search(r"```bash\n(python -m pytest[^\n]*)\n```", readme).group(1)
    assert command in ci


def test_offline_download_is_one_clear_line(tmp_path, monkeypatch, capsys):
    """--dataset=ml-1m without internet: RecBole's download fails; the user gets what was tried and what to do."""
    from urllib.error import URLError

    import recbole.data.dataset.dataset as recbole_dataset

    import run_recbole_darec

    def unreachable(url):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(recbole_dataset, "decide_download", unreachable)
    code = run_recbole_darec.main(["--model=DaRecLightGCN", "--dataset=ml-1m", f"--data_path={tmp_path}"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: dataset 'ml-1m' is not in")
    assert "could not download it from https://" in lines[0] and "name resolution" in lines[0]
    assert "ml-1m-implicit" in lines[0] and "recbole_darec.convert lightgcn-txt" in lines[0]
    assert not (tmp_path / "ml-1m").exists()  # no empty folder left to pass for a downloaded dataset


def test_output_root_gathers_the_log_the_events_and_the_checkpoints(
    tmp_path, toy_profiled, base_config, copy_dataset, monkeypatch
):
    from recbole_darec.quick_start import run_recbole_darec

    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    settings = dict(base_config(tmp_path, state="INFO"), checkpoint_dir="saved", output_root=str(tmp_path / "runs"))
    result = run_recbole_darec("LightGCN", "toy", config_dict=settings)
    assert result["model_file"].startswith(str(tmp_path / "runs" / "saved"))
    assert sorted(os.listdir(tmp_path / "runs")) == ["log", "log_tensorboard", "saved"]
    assert os.listdir(work) == []  # nothing written into the working folder
