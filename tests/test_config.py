"""Configuration: precedence of YAML files and overrides, model lookup, range checks."""

import os
import sys

import pytest

from recbole_darec.cli import parse_overrides
from recbole_darec.config import Config, ConfigError
from recbole_darec.model.lookup import UnknownModelError, get_model


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
    assert config["additional_feat_suffix"] == ["useremb", "itememb"]  # properties/model/AlignedModel.yaml
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
    """A typo in a protocol, tuned or dataset preset (``darec_global_los``) is refused, not silently ignored."""
    import glob

    import yaml

    from recbole_darec.config import PROPERTIES_DIR, check_known_keys

    for folder in ("protocol", "tuned", "dataset"):
        for path in glob.glob(os.path.join(PROPERTIES_DIR, folder, "*.yaml")):
            check_known_keys(yaml.safe_load(open(path)) or {}, path)
    with pytest.raises(ConfigError, match="'darec_global_los' in x.yaml: did you mean 'darec_global_loss'"):
        check_known_keys({"darec_global_los": "kl"}, "x.yaml")


def test_keys_of_the_users_own_are_accepted_once_declared(tmp_path):
    settings = {"my_feature_flag": True, "user_config_keys": ["my_feature_flag"]}
    assert Config(model="LightGCN", dataset="ml-100k", config_dict=settings)["my_feature_flag"] is True
    with pytest.raises(ConfigError, match="declare it with --user_config_keys=\\[my_feature_flag\\]"):
        Config(model="LightGCN", dataset="ml-100k", config_dict={"my_feature_flag": True})
    own = tmp_path / "own.yaml"
    own.write_text("my_feature_flag: 3\n")  # declared on the command line, used in a file
    declared = {"user_config_keys": ["my_feature_flag"]}
    assert (
        Config(model="LightGCN", dataset="ml-100k", config_file_list=[str(own)], config_dict=declared)[
            "my_feature_flag"
        ]
        == 3
    )


def test_a_missing_package_yaml_is_an_error_naming_it(monkeypatch, tmp_path):
    import shutil

    import recbole_darec.config as config_module

    copy = tmp_path / "properties"
    shutil.copytree(config_module.PROPERTIES_DIR, copy)
    (copy / "model" / "DaRec.yaml").unlink()
    monkeypatch.setattr(config_module, "PROPERTIES_DIR", str(copy))
    with pytest.raises(ConfigError, match=f"{copy / 'model' / 'DaRec.yaml'} is missing"):
        Config(model="DaRecSGL", dataset="ml-100k")
    assert Config(model="SGL", dataset="ml-100k")["ssl_views"] == "subgraph_per_epoch"  # reads no DaRec.yaml


@pytest.mark.slow
def test_a_wheel_installed_without_the_checkout_has_the_checkouts_defaults(tmp_path, repo_root):
    """After pip install . (no editable checkout), the package still reads every default of properties/."""
    import glob
    import json
    import subprocess
    import zipfile

    from recbole_darec.checkpoint import config_to_json

    def run(*args, **kwargs):
        result = subprocess.run(args, capture_output=True, text=True, **kwargs)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp_path, repo_root)
    (wheel,) = glob.glob(str(tmp_path / "*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for path in glob.glob(os.path.join(repo_root, "properties", "**", "*.yaml"), recursive=True):
        assert "recbole_darec/" + os.path.relpath(path, repo_root) in shipped
    site = tmp_path / "site"
    run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, wheel)
    script = (
        "import json, sys\n"
        "from recbole_darec.checkpoint import config_to_json\n"
        "from recbole_darec.config import Config\n"
        "config = Config(model='DaRecLightGCN', dataset='ml-100k', config_dict={'data_path': sys.argv[1]})\n"
        "print(json.dumps({'module': sys.modules['recbole_darec'].__file__, "
        "'config': json.loads(config_to_json(config))}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    installed = json.loads(run(sys.executable, "-c", script, str(tmp_path), cwd=tmp_path, env=env))
    assert installed["module"].startswith(str(site))  # the wheel's copy, not the checkout
    here = Config(model="DaRecLightGCN", dataset="ml-100k", config_dict={"data_path": str(tmp_path)})
    assert installed["config"] == json.loads(config_to_json(here))
    os.remove(site / "recbole_darec" / "properties" / "model" / "DaRec.yaml")
    broken = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env)
    assert broken.returncode != 0 and "DaRec.yaml is missing" in broken.stderr


def test_tuned_presets_are_immutable(repo_root):
    """A recorded row reruns with its documented command only if the preset it names never changes: a new
    choice gets a new file (listed in properties/tuned/recorded.sha256 when it is made)."""
    import glob
    import hashlib

    folder = os.path.join(repo_root, "properties", "tuned")
    with open(os.path.join(folder, "recorded.sha256")) as f:
        recorded = {name: digest for digest, name in (line.split() for line in f if line.strip())}
    for path in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
        name = os.path.basename(path)
        assert name in recorded, f"properties/tuned/{name} is not in recorded.sha256: add its sha256 there"
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        assert digest == recorded[name], (
            f"properties/tuned/{name} changed after results were recorded with it: restore it and put the "
            "new choice in a new file"
        )
