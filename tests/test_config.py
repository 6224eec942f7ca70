"""Configuration: precedence of YAML files and overrides, model lookup, range checks."""

import os
import sys

import pytest

from recbole_darec.cli import parse_overrides
from recbole_darec.config import Config, ConfigError
from recbole_darec.utils import UnknownModelError, get_model


def test_command_line_overrides_and_config_files_reach_the_config(tmp_path, monkeypatch):
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    first.write_text("learning_rate: 0.005\nn_layers: 3\n")
    second.write_text("n_layers: 4\n")
    overrides = parse_overrides(["--embedding_size=32", "--epochs=1", "--learning_rate=2e-3"])
    # Config never reads sys.argv: a tool's own flags there must not reach a model's configuration
    monkeypatch.setattr(sys, "argv", ["x", "--embedding_size=64", "--params_file=x.hyper"])
    config = Config(
        model="LightGCN", dataset="ml-100k", config_file_list=[str(first), str(second)], config_dict=overrides
    )
    assert "params_file" not in config.final_config_dict
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


def test_every_preset_key_is_a_known_setting(repo_root):
    """A typo in a protocol, tuned or dataset preset (``darec_global_los``) would be read and silently ignored."""
    import glob
    import os

    import yaml

    from recbole_darec.config import PROPERTIES_DIR, RECBOLE_PROPERTIES_DIR

    def keys(pattern):
        return {key for path in glob.glob(pattern, recursive=True) for key in (yaml.safe_load(open(path)) or {})}

    known = keys(os.path.join(RECBOLE_PROPERTIES_DIR, "**", "*.yaml"))
    known |= keys(os.path.join(PROPERTIES_DIR, "overall.yaml")) | keys(os.path.join(PROPERTIES_DIR, "model", "*.yaml"))
    for folder in ("protocol", "tuned", "dataset"):
        for path in glob.glob(os.path.join(PROPERTIES_DIR, folder, "*.yaml")):
            unknown = keys(path) - known
            assert not unknown, f"{os.path.relpath(path, repo_root)}: unknown keys {sorted(unknown)}"
