"""The foundation: CLI, config precedence, clear errors, compat layer and safe checkpoint reload."""

import os
import re
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import ROOT, base_config, run_cli

import recbole_darec  # noqa: F401  (applies the compat layer)
from recbole_darec.config import Config, ConfigError
from recbole_darec.utils import UnknownModelError, get_model

METRIC_LINE = re.compile(r"test result: \{.*'recall@20': [0-9.]+.*'ndcg@20': [0-9.]+")


@pytest.mark.parametrize("model", ["LightGCN", "SGL"])
def test_cli_trains_one_epoch_and_reports_metrics(tmp_path, model):
    result = run_cli("run_recbole_darec.py", f"--model={model}", "--dataset=ml-100k", "--epochs=1",
                     f"--data_path={tmp_path}", f"--checkpoint_dir={tmp_path / 'saved'}", "--show_progress=False")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best valid: {" in result.stdout and "'recall@20'" in result.stdout
    assert METRIC_LINE.search(result.stdout), result.stdout


def test_unknown_model_is_a_clear_error(tmp_path):
    result = run_cli("run_recbole_darec.py", "--model=LightGCNN", "--dataset=ml-100k")
    assert result.returncode == 2
    assert "unknown model 'LightGCNN'" in result.stderr and "DaRecLightGCN" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_dataset_names_the_path_and_the_fix(tmp_path):
    result = run_cli("run_recbole_darec.py", "--model=LightGCN", "--dataset=no-such-data", f"--data_path={tmp_path}")
    assert result.returncode == 2
    assert os.path.join(str(tmp_path), "no-such-data", "no-such-data.inter") in result.stderr
    assert "recbole_darec.convert" in result.stderr


def test_bad_config_value_is_a_clear_error(tmp_path):
    result = run_cli("run_recbole_darec.py", "--model=LightGCN", "--dataset=ml-100k", "--epochs=ten",
                     f"--data_path={tmp_path}")
    assert result.returncode == 2 and "'epochs'" in result.stderr and "integer" in result.stderr


def test_command_line_overrides_and_config_files_reach_the_config(tmp_path, monkeypatch):
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    first.write_text("learning_rate: 0.005\nn_layers: 3\n")
    second.write_text("n_layers: 4\n")
    monkeypatch.setattr(sys, "argv", ["x", "--embedding_size=32", "--epochs=1", "--learning_rate=0.002"])
    config = Config(model="LightGCN", dataset="ml-100k", config_file_list=[str(first), str(second)])
    assert config["embedding_size"] == 32 and config["epochs"] == 1
    assert config["learning_rate"] == 0.002  # command line beats config files
    assert config["n_layers"] == 4  # later file beats earlier one


def test_properties_are_picked_up_per_model_class_and_dataset(tmp_path):
    config = Config(model="DaRecSimGCL", dataset="ml-100k", config_dict={"data_path": str(tmp_path)})
    assert config["valid_metric"] == "Recall@20" and config["topk"] == [5, 10, 20]  # properties/overall.yaml
    assert config["eps"] == 0.1 and config["cl_weight"] == 0.2  # properties/model/SimGCL.yaml
    assert config["darec_n_clusters"] == 16  # properties/model/DaRec.yaml
    assert config["additional_feat_suffix"] == ["useremb", "itememb"]  # properties/model/ProfileAligned.yaml
    assert config["data_path"] == os.path.join(str(tmp_path), "ml-100k")  # not RecBole's wheel folder


def test_config_rejects_out_of_range_values():
    with pytest.raises(ConfigError, match="learning_rate"):
        Config(model="LightGCN", dataset="ml-100k", config_dict={"learning_rate": 0})


def test_model_lookup_prefers_ours_then_recbole():
    assert get_model("SimGCL").__module__ == "recbole_darec.model.simgcl"
    assert get_model("SGL").__module__ == "recbole_darec.model.sgl"
    assert get_model("LightGCN").__module__ == "recbole_darec.model.lightgcn"
    assert get_model("BPR").__module__.startswith("recbole.model")
    with pytest.raises(UnknownModelError):
        get_model("NotAModel")


def test_dok_matrix_update_shim_matches_dict_semantics():
    matrix = sp.dok_matrix((4, 5), dtype=np.float32)
    matrix._update({(0, 1): 1.0, (3, 4): 2.5})
    dense = matrix.toarray()
    assert dense[0, 1] == 1.0 and dense[3, 4] == 2.5 and dense.sum() == 3.5


@pytest.fixture(scope="module")
def trained_lightgcn(tmp_path_factory):
    from recbole_darec import run_recbole_darec

    return run_recbole_darec("LightGCN", "ml-100k", config_dict=base_config(tmp_path_factory.mktemp("run"), epochs=2))


def test_checkpoint_reloads_safely_and_reproduces_test_metrics(trained_lightgcn):
    from recbole_darec import load_checkpoint, load_data_and_model
    from recbole_darec.utils import get_trainer

    result = trained_lightgcn
    checkpoint = load_checkpoint(result["model_file"])
    assert checkpoint["config"]["model"] == "LightGCN"
    config, model, _, _, _, test_data = load_data_and_model(result["model_file"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    reloaded = trainer.evaluate(test_data, load_best_model=False)
    assert dict(reloaded) == dict(result["test_result"])


def test_rescoring_a_checkpoint_under_another_test_masking(trained_lightgcn, tmp_path, capsys):
    from recbole_darec.evaluate import main, rescore

    model_file = trained_lightgcn["model_file"]
    assert rescore(model_file, {}) == ("LightGCN", 2020, dict(trained_lightgcn["test_result"]))
    # RecBole's default masks train + valid items; masking train only lets validation items take ranks
    _, _, train_only = rescore(model_file, {"test_history": "train"})
    assert train_only["recall@20"] < trained_lightgcn["test_result"]["recall@20"]
    with pytest.raises(ConfigError, match="--learning_rate would change training"):
        rescore(model_file, {"learning_rate": 0.1})
    out = tmp_path / "rescored.csv"
    assert main([os.path.dirname(model_file), "--test_history=train", "--topk=[10,20]", f"--out={out}"]) == 0
    rows = out.read_text().splitlines()
    assert len(rows) == 2 and rows[0].startswith("model,seed,file,test_recall@10,test_recall@20,test_ndcg@10")
    assert f"{train_only['recall@20']}" in rows[1]
    assert f"| LightGCN | 1 | **{train_only['recall@10']:.4f} ± 0.0000** | **{train_only['recall@20']:.4f} ± 0.0000** |" \
        in capsys.readouterr().out  # compare's leaderboard table
    assert main([str(tmp_path / "nothing-here")]) == 2
    assert main([os.path.dirname(model_file), "--baseline=SGL"]) == 2


def test_readme_test_command_is_what_ci_runs():
    readme = open(os.path.join(ROOT, "README.md")).read()
    ci = open(os.path.join(ROOT, ".ci", "run")).read()
    command = re.search(r"```bash\n(python -m pytest[^\n]*)\n```", readme).group(1)
    assert command in ci
