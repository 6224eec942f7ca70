"""Checkpoints: weights-only loading, damage detection, reload, and exact resume after a kill."""

import glob
import json
import os
import signal
import time

import pytest
import torch

from recbole_darec.checkpoint import CheckpointError, load_checkpoint
from recbole_darec.checks import ConfigError
from recbole_darec.quick_start import run_recbole_darec


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_checkpoint_is_refused_without_running(tmp_path):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "evil.pth"
    torch.save(
        {
            "format": "recbole_darec.checkpoint/1",
            "config": "{}",
            "epoch": 0,
            "state_dict": {},
            "other_parameter": Payload(marker),
        },
        path,
    )
    with pytest.raises(CheckpointError, match="refused.*nothing in it was executed"):
        load_checkpoint(path)
    assert not marker.exists()


def test_truncated_and_foreign_checkpoints_are_clear_errors(tmp_path, ml100k_profiles, base_config, copy_dataset):
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


def test_checkpoint_reloads_safely_and_reproduces_test_metrics(trained_lightgcn):
    from recbole_darec import load_checkpoint, load_data_and_model
    from recbole_darec.trainer import get_trainer

    result = trained_lightgcn
    checkpoint = load_checkpoint(result["model_file"])
    assert checkpoint["config"]["model"] == "LightGCN"
    config, model, _, _, _, test_data = load_data_and_model(result["model_file"])
    trainer = get_trainer(config, model)(config, model)
    reloaded = trainer.evaluate(test_data, load_best_model=False)
    assert dict(reloaded) == dict(result["test_result"])


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_metrics(tmp_path, ml100k_profiles, copy_dataset, cli, parse_test_result):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    common = [
        "--model=DaRecLightGCN",
        "--dataset=ml-100k",
        "--epochs=3",
        "--show_progress=False",
        f"--data_path={tmp_path / 'dataset'}",
        "--state=INFO",
    ]
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
    assert load_checkpoint(last[0])["epoch"] < 2  # it died before finishing

    resumed = cli(*common, f"--checkpoint_dir={tmp_path / 'killed'}", "--resume=latest")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    assert "Resumed from" in err + out
    assert parse_test_result(out) == parse_test_result(full_out)


@pytest.mark.slow
def test_sigterm_stops_with_a_resume_hint(tmp_path, ml100k_profiles, copy_dataset, cli):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    run = cli(
        "--model=DaRecLightGCN",
        "--dataset=ml-100k",
        "--epochs=50",
        "--show_progress=False",
        f"--data_path={tmp_path / 'dataset'}",
        f"--checkpoint_dir={tmp_path / 'saved'}",
    )
    deadline = time.time() + 300
    while not glob.glob(str(tmp_path / "saved" / "*.last.pth")) and time.time() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130 and "--resume=latest" in err


def test_the_best_epoch_comes_from_the_trainer_and_keeps_the_last_tie(trained_lightgcn):
    history = trained_lightgcn["valid_history"]
    best = max(result["recall@20"] for _, result in history)
    last_best_epoch = max(epoch for epoch, result in history if result["recall@20"] == best)
    assert trained_lightgcn["best_epoch"] == last_best_epoch


def test_resume_latest_continues_only_its_own_run(tmp_path, toy_profiled, base_config, copy_dataset):
    """compare keeps every dataset's and seed's checkpoints in one folder: 'latest' must be this run's."""
    from recbole_darec.config import Config
    from recbole_darec.trainer import latest_last_checkpoint

    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    files = {}
    for seed in (2020, 2021):  # 2021 is written last, so the newest file is another seed's
        run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path, epochs=2, seed=seed))
        files[seed] = max(
            glob.glob(str(tmp_path / "saved" / "*.last.pth")), key=lambda f: load_checkpoint(f)["saved_at"]
        )
    assert files[2020] != files[2021]

    def config(**overrides):
        return Config(model="LightGCN", dataset="toy", config_dict=base_config(tmp_path, epochs=2, **overrides))

    assert latest_last_checkpoint(config(seed=2020)) == files[2020]
    assert latest_last_checkpoint(config(seed=2021)) == files[2021]
    with pytest.raises(CheckpointError, match="none of the 2 .*has seed = 2021, this run 2022"):
        latest_last_checkpoint(config(seed=2022))
    with pytest.raises(CheckpointError, match="has learning_rate = 0.001, this run 0.002"):
        latest_last_checkpoint(config(seed=2021, learning_rate=0.002))
    # an explicit path that belongs to another run is refused with the first differing key and both values
    with pytest.raises(CheckpointError, match="its seed is 2021, this run's is 2020"):
        run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path, epochs=2), resume=files[2021])
    resumed = run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path, epochs=2), resume="latest")
    assert resumed["test_result"]


def test_a_changed_split_is_refused_by_resume_and_evaluate(tmp_path, toy_profiled, base_config, copy_dataset):
    from recbole_darec.evaluate import rescore

    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    settings = base_config(tmp_path, epochs=2)
    best = run_recbole_darec("RLMRecConLightGCN", "toy", config_dict=settings)["model_file"]
    last = glob.glob(str(tmp_path / "saved" / "*.last.pth"))[0]
    assert set(load_checkpoint(best)["data_fingerprint"]) == {"toy.inter", "toy.useremb", "toy.itememb"}
    vectors = tmp_path / "dataset" / "toy" / "toy.itememb"
    lines = vectors.read_text().splitlines()
    changed = lines[-1][:-1] + ("1" if lines[-1][-1] != "1" else "2")  # one item's vector re-encoded
    vectors.write_text("\n".join([*lines[:-1], changed]) + "\n")
    with pytest.raises(CheckpointError, match=r"trained on other data than is there now \(toy.itememb changed\)"):
        rescore(best, {})
    with pytest.raises(CheckpointError, match="toy.itememb changed"):
        run_recbole_darec("RLMRecConLightGCN", "toy", config_dict=settings, resume=last)
    vectors.write_text("\n".join(lines) + "\n")
    assert rescore(best, {}).result  # the files it was trained on are back
    inter = tmp_path / "dataset" / "toy" / "toy.inter"
    inter.write_text(inter.read_text() + "1\t90\n")
    with pytest.raises(CheckpointError, match=r"toy.inter changed"):
        rescore(best, {})


def test_resume_may_extend_the_run_and_its_patience_but_nothing_else(tmp_path, toy_profiled, base_config, copy_dataset):
    """An interrupted run continued with more epochs (or another patience) trains on from its last epoch; the
    two-epoch run and its four-epoch continuation then equal an uninterrupted four-epoch run."""
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    short = run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path, epochs=2))
    (last,) = glob.glob(str(tmp_path / "saved" / "*.last.pth"))
    assert sorted(short["train_loss"]) == [0, 1]
    longer = base_config(tmp_path, epochs=4, stopping_step=3, stopping_warmup=1)
    with pytest.raises(CheckpointError, match="its learning_rate is 0.001, this run's is 0.002"):
        run_recbole_darec("LightGCN", "toy", config_dict=dict(longer, learning_rate=0.002), resume=last)
    resumed = run_recbole_darec("LightGCN", "toy", config_dict=longer, resume="latest")
    # a run that trained all its epochs leaves its final state, so the longer run goes on after its last epoch
    assert sorted(resumed["train_loss"]) == [2, 3] and resumed["resumed_at_epoch"] == 2
    straight = run_recbole_darec("LightGCN", "toy", config_dict=dict(longer, checkpoint_dir=str(tmp_path / "other")))
    assert resumed["test_result"] == straight["test_result"]
    # what the run reports covers every epoch, the interrupted attempt's included
    assert resumed["valid_history"] == straight["valid_history"] and len(resumed["epoch_seconds"]) == 4


def test_validations_in_the_warmup_never_become_the_best_state(tmp_path, toy_profiled, base_config, copy_dataset):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    result = run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path, epochs=5, stopping_warmup=3))
    assert [epoch for epoch, _ in result["valid_history"]] == [0, 1, 2, 3, 4]  # every epoch is still validated
    assert result["best_epoch"] >= 2  # epochs 0 and 1 (the first two trained) are in the warm-up
    with pytest.raises(ConfigError, match="stopping_warmup = 5 epochs is not below epochs = 5"):
        run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path, epochs=5, stopping_warmup=5))


def test_a_bare_resume_keeps_the_first_command_lines_settings_and_refuses_fewer_epochs(
    tmp_path, toy_profiled, base_config, copy_dataset, caplog
):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    first = run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path, epochs=3, stopping_step=1000))
    (last,) = glob.glob(str(tmp_path / "saved" / "*.last.pth"))
    assert load_checkpoint(last)["finished"] and not load_checkpoint(last)["stopped_early"]
    with pytest.raises(CheckpointError, match="has trained 3 epochs; epochs = 2 would end the run before"):
        run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path, epochs=2), resume="latest")
    # no --epochs and no --stopping_step: the run's own 3 and 1000, not the YAML's 1 and 10; finished, so not retrained
    bare = {k: v for k, v in base_config(tmp_path).items() if k != "epochs"}
    again = run_recbole_darec("LightGCN", "toy", config_dict=bare, resume="latest")
    assert again["train_loss"] == {} and again["test_result"] == first["test_result"]
    assert json.loads(again["config"])["stopping_step"] == 1000 and json.loads(again["config"])["epochs"] == 3


def test_a_run_that_stopped_early_is_not_trained_again(tmp_path, toy_profiled, base_config, copy_dataset):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    settings = base_config(tmp_path, epochs=40, stopping_step=1, learning_rate=0.05)
    first = run_recbole_darec("LightGCN", "toy", config_dict=settings)
    assert len(first["epoch_seconds"]) < 40  # stopped early
    again = run_recbole_darec("LightGCN", "toy", config_dict=dict(settings, epochs=80), resume="latest")
    assert again["train_loss"] == {} and again["test_result"] == first["test_result"]
