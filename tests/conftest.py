"""Shared fixtures. Helpers are fixtures that return the helper function, so tests name what they use."""

import ast
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from recbole_darec.config import Config
from recbole_darec.prepare import prepare_dataset_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "datasets")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: encodes, starts subprocesses or trains several models (deselect: -m 'not slow')"
    )


# Fixtures that encode profiles, train a model or start a process: a test using one is slow whether it says so
# or not, so `-m "not slow"` never runs one.
SLOW_FIXTURES = {"ml100k_profiles", "trained_lightgcn", "run_cli", "cli"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _base_config(tmp_path, **overrides):
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


def _run_cli(*args, timeout=600):
    """``python *args`` in the current (scratch) folder; a script is named relative to the repository root."""
    if args[0].endswith(".py"):
        args = (os.path.join(ROOT, args[0]), *args[1:])
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session", autouse=True)
def scratch_working_folder(tmp_path_factory):
    """Every test runs in a scratch folder, so what RecBole writes relative to the working folder
    (``./log/``, ``log_tensorboard/``, a default ``dataset/`` or ``saved/``) stays out of the checkout."""
    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(previous)


@pytest.fixture(scope="session")
def repo_root():
    return ROOT


@pytest.fixture(scope="session")
def shared_dataset():
    """``shared_dataset(name)``: the folder of ``../shared/datasets/<name>``; the test is skipped without it."""

    def shared_dataset(name):
        path = os.path.join(SHARED, name)
        if not os.path.isdir(path):
            pytest.skip(f"../shared/datasets/{name} absent")
        return path

    return shared_dataset


@pytest.fixture(scope="session")
def base_config():
    return _base_config


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli(*args)``: ``python *args`` in the scratch folder, output captured."""
    return _run_cli


@pytest.fixture(scope="session")
def ml100k_profiles(tmp_path_factory):
    """ml-100k with real constructed profiles encoded by the packaged MiniLM, built once per session (per xdist
    worker: one encoder thread each, so two workers do not oversubscribe two cores; a generous timeout, as the
    suite may run beside other jobs)."""
    data = tmp_path_factory.mktemp("profiled") / "dataset"
    result = _run_cli(
        "-m",
        "recbole_darec.profiles",
        "--dataset=ml-100k",
        f"--data_path={data}",
        "--show_progress=False",
        "--profile_encoder_threads=1",
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return data


@pytest.fixture(scope="session")
def copy_dataset():
    def copy_dataset(src_data_path, dst_data_path, name="ml-100k"):
        shutil.copytree(os.path.join(src_data_path, name), os.path.join(dst_data_path, name))
        return dst_data_path

    return copy_dataset


@pytest.fixture(scope="session")
def write_random_embeddings():
    def write_random_embeddings(folder, name, kind, ids, dim=16, seed=0):
        rng = np.random.default_rng(seed)
        field, vec = ("uid", "user_emb") if kind == "user" else ("iid", "item_emb")
        path = os.path.join(folder, f"{name}.{kind}emb")
        with open(path, "w") as f:
            f.write(f"{field}:token\t{vec}:float_seq\n")
            for i in ids:
                f.write(f"{i}\t{' '.join(f'{x:.6f}' for x in rng.normal(size=dim))}\n")
        return path

    return write_random_embeddings


@pytest.fixture(scope="session")
def toy_profiled(tmp_path_factory, write_random_embeddings):
    """A data_path holding ``toy``: 120 users x 90 items, 10-20 random items each, random 16-d profile vectors.

    Small enough that every model trains and evaluates in about a second."""
    data = tmp_path_factory.mktemp("toy") / "dataset"
    folder = data / "toy"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = [
        f"{user}\t{item}"
        for user in range(1, 121)
        for item in rng.choice(np.arange(1, 91), size=rng.integers(10, 21), replace=False)
    ]
    (folder / "toy.inter").write_text("user_id:token\titem_id:token\n" + "\n".join(rows) + "\n")
    write_random_embeddings(str(folder), "toy", "user", range(1, 121))
    write_random_embeddings(str(folder), "toy", "item", range(1, 91), seed=1)
    return data


@pytest.fixture(scope="module")
def trained_lightgcn(tmp_path_factory):
    """One two-epoch LightGCN run on ml-100k, shared by the checkpoint and re-scoring tests of a module."""
    from recbole_darec.quick_start import run_recbole_darec

    return run_recbole_darec("LightGCN", "ml-100k", config_dict=_base_config(tmp_path_factory.mktemp("run"), epochs=2))


@pytest.fixture(scope="session")
def build(base_config, copy_dataset):
    """``build(tmp_path, ml100k_profiles, model, **overrides)``: (config, dataset, model, train, valid, test)
    of ``model`` on a copy of the profiled ml-100k, without training."""
    from recbole_darec.quick_start import _build

    def build(tmp_path, ml100k_profiles, model, **overrides):
        copy_dataset(ml100k_profiles, tmp_path / "dataset")
        config = Config(model=model, dataset="ml-100k", config_dict=base_config(tmp_path, **overrides))
        prepare_dataset_files(config)
        return config, *_build(config)

    return build


@pytest.fixture(scope="session")
def config_for(base_config):
    """``config_for(tmp_path, dataset="ml-100k", model="LightGCN", **overrides)``: a config, files prepared."""

    def config_for(tmp_path, dataset="ml-100k", model="LightGCN", **overrides):
        config = Config(model=model, dataset=dataset, config_dict=base_config(tmp_path, **overrides))
        prepare_dataset_files(config)
        return config

    return config_for


@pytest.fixture(scope="session")
def synthetic(config_for):
    """``synthetic(tmp_path, inter, item=None, **overrides)``: a config for a toy dataset with these files."""

    def synthetic(tmp_path, inter, item=None, **overrides):
        folder = tmp_path / "dataset" / "toy"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "toy.inter").write_text(inter)
        if item is not None:
            (folder / "toy.item").write_text(item)
        return config_for(tmp_path, dataset="toy", **overrides)

    return synthetic


@pytest.fixture(scope="session")
def cli(repo_root):
    """``cli(*args)``: ``run_recbole_darec.py *args`` started in the background (a Popen)."""

    def cli(*args, **kwargs):
        return subprocess.Popen(
            [sys.executable, os.path.join(repo_root, "run_recbole_darec.py"), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    return cli


@pytest.fixture(scope="session")
def parse_test_result():
    """``parse_test_result(stdout)``: the test metrics dict that run_recbole_darec.py printed."""

    def parse_test_result(stdout):
        line = next(line for line in stdout.splitlines() if line.startswith("test result: "))
        return ast.literal_eval(line[len("test result: ") :])

    return parse_test_result


DAREC_SETTINGS = {
    "darec_or_weight": 0.1,
    "darec_uni_weight": 0.2,
    "darec_glo_weight": 0.3,
    "darec_loc_weight": 0.4,
    "darec_rank_weight": 0.0,
    "darec_n_clusters": 2,
    "darec_cluster_interval": 1,
    "darec_cluster_sample": 6,
    "darec_row_sample": 64,
    "darec_global_loss": "kl",
    "darec_global_target": "head",
    "darec_global_temperature": 0.5,
    "darec_cf_head": "linear",
    "darec_llm_head": "mlp",
    "darec_shared_dim": 0,
    "darec_center_matching": "joint",
    "darec_center_loss": "infonce",
    "darec_center_temperature": 0.2,
    "darec_scatter_backend": "torch",
    "darec_diagnostics_interval": 0,
    "darec_score": "backbone",
    "seed": 7,
}


@pytest.fixture(scope="session")
def darec_settings():
    """``darec_settings(**changes)``: a complete DaRecAlignment config (distinct weights, so a term wired to the
    wrong weight shows), for building the alignment on hand-made tensors."""

    def darec_settings(**changes):
        return {**DAREC_SETTINGS, **changes}

    return darec_settings


@pytest.fixture(scope="session")
def cosine_gram():
    """Cosine-similarity matrices of the rows of x ([..., n, d] -> [..., n, n]): the Gram matrices DaRec's
    pairwise terms take, built from raw rows for tests (the model normalises its rows once itself)."""
    import torch.nn.functional as F

    def gram(x):
        x = F.normalize(x, dim=-1)
        return x @ x.transpose(-1, -2)

    return gram
