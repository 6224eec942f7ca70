"""run_recbole_darec.py: training from the command line, clear one-line errors, the README command."""

import os
import re

import pytest

METRIC_LINE = re.compile(r"test result: \{.*'recall@20': [0-9.]+.*'ndcg@20': [0-9.]+")


@pytest.mark.parametrize("model", ["LightGCN", "SGL"])
def test_cli_trains_one_epoch_and_reports_metrics(tmp_path, model, run_cli):
    result = run_cli(
        "run_recbole_darec.py",
        f"--model={model}",
        "--dataset=ml-100k",
        "--epochs=1",
        f"--data_path={tmp_path}",
        f"--checkpoint_dir={tmp_path / 'saved'}",
        "--show_progress=False",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best valid: {" in result.stdout and "'recall@20'" in result.stdout
    assert METRIC_LINE.search(result.stdout), result.stdout


def test_unknown_model_is_a_clear_error(tmp_path, run_cli):
    result = run_cli("run_recbole_darec.py", "--model=LightGCNN", "--dataset=ml-100k")
    assert result.returncode == 2
    assert "unknown model 'LightGCNN'" in result.stderr and "DaRecLightGCN" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_dataset_names_the_path_and_the_fix(tmp_path, run_cli):
    result = run_cli("run_recbole_darec.py", "--model=LightGCN", "--dataset=no-such-data", f"--data_path={tmp_path}")
    assert result.returncode == 2
    assert os.path.join(str(tmp_path), "no-such-data", "no-such-data.inter") in result.stderr
    assert "recbole_darec.convert" in result.stderr


def test_bad_config_value_is_a_clear_error(tmp_path, run_cli):
    result = run_cli(
        "run_recbole_darec.py", "--model=LightGCN", "--dataset=ml-100k", "--epochs=ten", f"--data_path={tmp_path}"
    )
    assert result.returncode == 2 and "'epochs'" in result.stderr and "integer" in result.stderr


def test_readme_test_command_is_what_ci_runs(repo_root):
    readme = open(os.path.join(repo_root, "README.md")).read()
    ci = open(os.path.join(repo_root, ".ci", "run")).read()
    command = re.search(r"```bash\n(python -m pytest[^\n]*)\n```", readme).group(1)
    assert command in ci
