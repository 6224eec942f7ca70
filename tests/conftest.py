import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "datasets")
sys.path.insert(0, ROOT)


@pytest.fixture(autouse=True)
def _plain_argv(monkeypatch):
    """RecBole's Config reads --key=value from sys.argv; keep pytest's own arguments out of it."""
    monkeypatch.setattr(sys, "argv", ["pytest"])


def base_config(tmp_path, **overrides):
    """Fast, quiet settings for in-process runs writing only under ``tmp_path``."""
    config = {
        "data_path": str(tmp_path / "dataset"),
        "checkpoint_dir": str(tmp_path / "saved"),
        "log_wandb": False,
        "show_progress": False,
        "state": "ERROR",
        "epochs": 1,
        "eval_step": 1,
        "train_batch_size": 4096,
    }
    config.update(overrides)
    return config


def run_cli(*args, cwd=None, timeout=600):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="session")
def ml100k_profiles(tmp_path_factory):
    """ml-100k with real constructed profiles encoded by the packaged MiniLM, built once per session."""
    data = tmp_path_factory.mktemp("profiled") / "dataset"
    result = run_cli("-m", "recbole_darec.profiles", "--dataset=ml-100k", f"--data_path={data}",
                     "--show_progress=False")
    assert result.returncode == 0, result.stderr[-3000:]
    return data


def copy_dataset(src_data_path, dst_data_path, name="ml-100k"):
    shutil.copytree(os.path.join(src_data_path, name), os.path.join(dst_data_path, name))
    return dst_data_path


def write_random_embeddings(folder, name, kind, ids, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    field, vec = ("uid", "user_emb") if kind == "user" else ("iid", "item_emb")
    path = os.path.join(folder, f"{name}.{kind}emb")
    with open(path, "w") as f:
        f.write(f"{field}:token\t{vec}:float_seq\n")
        for i in ids:
            f.write(f"{i}\t{' '.join(f'{x:.6f}' for x in rng.normal(size=dim))}\n")
    return path
