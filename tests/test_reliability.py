"""Reliability: safe checkpoints, resume after a kill, bad input, determinism, distributed training."""

import ast
import glob
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import ROOT, base_config, copy_dataset

import recbole_darec  # noqa: F401
from recbole_darec.checkpoint import CheckpointError, load_checkpoint
from recbole_darec.config import Config
from recbole_darec.data import AtomicFileError, DatasetError, create_dataset, prepare_dataset_files
from recbole_darec.quick_start import run_recbole_darec


def cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "run_recbole_darec.py", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def parse_test_result(stdout):
    line = next(line for line in stdout.splitlines() if line.startswith("test result: "))
    return ast.literal_eval(line[len("test result: "):])


# ---------------------------------------------------------------- checkpoints
class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_checkpoint_is_refused_without_running(tmp_path):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "evil.pth"
    torch.save({"format": "recbole_darec.checkpoint/1", "config": "{}", "epoch": 0,
                "state_dict": {}, "other_parameter": Payload(marker)}, path)
    with pytest.raises(CheckpointError, match="refused.*nothing in it was executed"):
        load_checkpoint(path)
    assert not marker.exists()


def test_truncated_and_foreign_checkpoints_are_clear_errors(tmp_path, ml100k_profiles):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    result = run_recbole_darec("LightGCN", "ml-100k", config_dict=base_config(tmp_path))
    data = open(result["model_file"], "rb").read()
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(truncated)
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    (tmp_path / "flipped.pth").write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "flipped.pth")
    torch.save({"state_dict": {}}, tmp_path / "plain.pth")
    with pytest.raises(CheckpointError, match="not written by recbole_darec"):
        load_checkpoint(tmp_path / "plain.pth")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pth")


# ---------------------------------------------------------------- resume and determinism
def test_killed_run_resumes_to_the_same_metrics(tmp_path, ml100k_profiles):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    common = ["--model=DaRecLightGCN", "--dataset=ml-100k", "--epochs=5", "--show_progress=False",
              f"--data_path={tmp_path / 'dataset'}", "--state=INFO"]
    full = cli(*common, f"--checkpoint_dir={tmp_path / 'full'}")
    full_out, full_err = full.communicate(timeout=600)
    assert full.returncode == 0, full_err[-2000:]

    killed = cli(*common, f"--checkpoint_dir={tmp_path / 'killed'}")
    deadline = time.time() + 300
    while time.time() < deadline:  # wait until epoch 2 is under way (state after epoch 1 saved), then kill
        last = glob.glob(str(tmp_path / "killed" / "*.last.pth"))
        if last and load_checkpoint(last[0])["epoch"] >= 1:
            break
        time.sleep(0.05)
    else:
        pytest.fail("no .last.pth checkpoint appeared")
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    assert load_checkpoint(last[0])["epoch"] < 4  # it died before finishing

    resumed = cli(*common, f"--checkpoint_dir={tmp_path / 'killed'}", "--resume=latest")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    assert "Resumed from" in err + out
    assert parse_test_result(out) == parse_test_result(full_out)


def test_sigterm_stops_with_a_resume_hint(tmp_path, ml100k_profiles):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    run = cli("--model=DaRecLightGCN", "--dataset=ml-100k", "--epochs=50", "--show_progress=False",
              f"--data_path={tmp_path / 'dataset'}", f"--checkpoint_dir={tmp_path / 'saved'}")
    deadline = time.time() + 300
    while not glob.glob(str(tmp_path / "saved" / "*.last.pth")) and time.time() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130 and "--resume=latest" in err


def test_same_seed_gives_identical_metrics(tmp_path, ml100k_profiles):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    first = run_recbole_darec("DaRecLightGCN", "ml-100k", config_dict=base_config(tmp_path, epochs=2))
    second = run_recbole_darec("DaRecLightGCN", "ml-100k", config_dict=base_config(tmp_path, epochs=2))
    assert first["train_loss"] == second["train_loss"]
    assert dict(first["test_result"]) == dict(second["test_result"])


# ---------------------------------------------------------------- bad input
def synthetic(tmp_path, inter, item=None, **overrides):
    folder = tmp_path / "dataset" / "toy"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "toy.inter").write_text(inter)
    if item is not None:
        (folder / "toy.item").write_text(item)
    config = Config(model="LightGCN", dataset="toy", config_dict=base_config(tmp_path, **overrides))
    prepare_dataset_files(config)
    return config


def toy_inter(rows):
    return "user_id:token\titem_id:token\trating:float\n" + "".join(f"{u}\t{i}\t{r}\n" for u, i, r in rows)


GOOD = [(u, i, 4) for u in range(1, 6) for i in range(1, 8)]
LOAD = {"load_col": {"inter": ["user_id", "item_id", "rating"]}}


def test_wrong_column_count_names_file_and_line(tmp_path):
    config = synthetic(tmp_path, toy_inter(GOOD[:3]) + "9\t9\n", **LOAD)
    with pytest.raises(AtomicFileError, match=r"toy.inter, line 5: 2 columns, but the header declares 3"):
        create_dataset(config)


def test_non_numeric_float_field_names_file_and_line(tmp_path):
    config = synthetic(tmp_path, toy_inter(GOOD[:2] + [(3, 3, "four")]), **LOAD)
    with pytest.raises(AtomicFileError, match=r"toy.inter, line 4: field 'rating' holds 'four', not a number"):
        create_dataset(config)


def test_duplicate_interactions_are_refused_unless_asked_to_drop(tmp_path):
    config = synthetic(tmp_path, toy_inter(GOOD + [GOOD[0]]), **LOAD)
    with pytest.raises(AtomicFileError, match=r"line 37: duplicate user_id/item_id \('1', '1'\).*rm_dup_inter"):
        create_dataset(config)
    dataset = create_dataset(synthetic(tmp_path, toy_inter(GOOD + [GOOD[0]]), rm_dup_inter="first", **LOAD))
    assert dataset.inter_num == len(GOOD)


def test_interactions_with_unknown_item_ids_are_refused(tmp_path):
    item = "item_id:token\tname:token_seq\n" + "".join(f"{i}\tthing {i}\n" for i in range(1, 7))
    config = synthetic(tmp_path, toy_inter(GOOD), item=item,
                       load_col={"inter": ["user_id", "item_id"], "item": ["item_id", "name"]})
    with pytest.raises(DatasetError, match=r"references 1 item id\(s\) missing from toy.item \(e.g. 7\)"):
        create_dataset(config)


def test_empty_dataset_after_filtering_is_a_clear_error(tmp_path):
    config = synthetic(tmp_path, toy_inter(GOOD), val_interval={"rating": "[5,inf)"}, **LOAD)
    with pytest.raises(DatasetError, match="no interactions left after filtering"):
        create_dataset(config)


def test_unknown_backbone_is_a_clear_error(tmp_path):
    run = cli("--model=DaRecMatrixFactorization", "--dataset=ml-100k")
    _, err = run.communicate(timeout=120)
    assert run.returncode == 2 and "unknown model 'DaRecMatrixFactorization'" in err


# ---------------------------------------------------------------- distributed
def test_two_process_gloo_training_reports_metrics(tmp_path, ml100k_profiles):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    run = cli("--model=DaRecLightGCN", "--dataset=ml-100k", "--epochs=1", "--nproc=2", "--port=29517",
              "--show_progress=False", f"--data_path={tmp_path / 'dataset'}", f"--checkpoint_dir={tmp_path / 'saved'}")
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err[-3000:]
    assert parse_test_result(out)["recall@20"] > 0
