"""The synthetic generator: reproducible bytes, the shares asked for, refused knobs, and files a run reads."""

import filecmp
import json
import os

import numpy as np
import pytest

from recbole_darec.convert import ConversionError
from recbole_darec.synthetic import check_knobs, write_dataset

SMALL = {"users": 300, "items": 250, "density": 0.04, "seed": 7}


def read_vectors(path):
    with open(path) as f:
        f.readline()
        return np.array([[float(x) for x in line.split("\t")[1].split()] for line in f])


def test_the_same_knobs_and_seed_give_the_same_bytes_and_another_seed_does_not(tmp_path):
    first = write_dataset("s", str(tmp_path / "a"), SMALL)
    second = write_dataset("s", str(tmp_path / "b"), SMALL)
    third = write_dataset("s", str(tmp_path / "c"), dict(SMALL, seed=8))
    names = sorted(os.listdir(first))
    assert names == ["s.itememb", "s.test.inter", "s.train.inter", "s.truth", "s.useremb", "s.valid.inter", "s.yaml"]
    match, mismatch, errors = filecmp.cmpfiles(first, second, [n for n in names if n != "s.truth"], shallow=False)
    assert not mismatch and not errors
    truth = sorted(os.listdir(os.path.join(first, "s.truth")))
    _, mismatch, _ = filecmp.cmpfiles(*(os.path.join(d, "s.truth") for d in (first, second)), truth, shallow=False)
    assert not mismatch
    assert not filecmp.cmp(os.path.join(first, "s.train.inter"), os.path.join(third, "s.train.inter"), shallow=False)


@pytest.mark.parametrize("llm_share, noise_share", [(0.0, 0.1), (0.5, 0.1), (0.8, 0.3)])
def test_the_profiles_hold_the_shares_asked_for(tmp_path, llm_share, noise_share):
    knobs = dict(SMALL, users=1500, llm_share=llm_share, noise_share=noise_share)
    folder = write_dataset("s", str(tmp_path), knobs)
    vectors = read_vectors(os.path.join(folder, "s.useremb"))
    truth = {k: np.load(os.path.join(folder, "s.truth", f"user_{k}.npy")) for k in ("shared", "llm", "cf")}
    total = (vectors**2).sum()

    def explained(parts):  # share of the vectors' energy a least-squares fit on these factors explains
        design = np.hstack([truth[p] for p in parts])
        fitted = design @ np.linalg.lstsq(design, vectors, rcond=None)[0]
        return (fitted**2).sum() / total

    shared, llm, both = explained(["shared"]), explained(["llm"]), explained(["shared", "llm"])
    assert both == pytest.approx(1 - noise_share, abs=0.04)
    assert llm / both == pytest.approx(llm_share, abs=0.05)
    assert shared / both == pytest.approx(1 - llm_share, abs=0.05)
    assert explained(["cf"]) < 0.03  # the CF-specific part is absent from the text


def test_the_cf_share_moves_the_interactions_from_the_shared_factors_to_the_cf_ones(tmp_path):
    def alignment(cf_share):
        folder = write_dataset("s", str(tmp_path / str(cf_share)), dict(SMALL, cf_share=cf_share))
        truth = {k: np.load(os.path.join(folder, "s.truth", f"{k}.npy")) for k in ("user_shared", "item_shared")}
        lines = open(os.path.join(folder, "s.train.inter")).read().splitlines()[1:]
        pairs = np.array([[int(x) - 1 for x in line.split("\t")] for line in lines])
        return float(np.mean(np.sum(truth["user_shared"][pairs[:, 0]] * truth["item_shared"][pairs[:, 1]], axis=1)))

    assert alignment(0.0) > 1.0 > 0.3 > alignment(1.0)  # interacted pairs agree on shared factors only when they count


def test_the_affinity_scale_sets_how_much_the_factors_decide_against_popularity(tmp_path):
    def agreement(scale):  # mean true affinity (shared + CF-specific) of the interacted pairs
        folder = write_dataset("s", str(tmp_path / str(scale)), dict(SMALL, affinity_scale=scale))
        truth = {k: np.load(os.path.join(folder, "s.truth", f"{k}.npy")) for k in ("user_shared", "item_shared")}
        truth.update({k: np.load(os.path.join(folder, "s.truth", f"{k}.npy")) for k in ("user_cf", "item_cf")})
        lines = open(os.path.join(folder, "s.train.inter")).read().splitlines()[1:]
        u, i = np.array([[int(x) - 1 for x in line.split("\t")] for line in lines]).T
        return float(
            np.mean(
                np.sum(truth["user_shared"][u] * truth["item_shared"][i], axis=1)
                + np.sum(truth["user_cf"][u] * truth["item_cf"][i], axis=1)
            )
        )

    assert abs(agreement(0.0)) < 0.5 < agreement(1.0) < agreement(3.0)  # at 0 popularity alone draws the items


@pytest.mark.parametrize(
    "knob, value, message",
    [
        ("llm_share", 1.5, r"--llm_share=1.5 is out of range"),
        ("users", 2.5, r"--users=2.5 must be an integer"),
        ("density", 0.0001, r"--density=0.0001 gives 0.0 interactions a user"),
        ("profile_dim", 8, r"--profile_dim=8 is below shared_dim \+ llm_dim = 32"),
        ("colour", 1, r"unknown knob\(s\) \['colour'\]"),
        ("affinity_scale", -1.0, r"--affinity_scale=-1.0 is out of range"),
    ],
)
def test_a_bad_knob_is_refused_by_name_before_anything_is_written(tmp_path, knob, value, message):
    with pytest.raises(ConversionError, match=message):
        write_dataset("s", str(tmp_path), dict(SMALL, **{knob: value}))
    assert not os.listdir(tmp_path)


def test_the_knobs_are_recorded_with_the_truth(tmp_path):
    folder = write_dataset("s", str(tmp_path), SMALL)
    assert json.load(open(os.path.join(folder, "s.truth", "knobs.json"))) == check_knobs(SMALL)


@pytest.mark.slow
def test_the_generated_dataset_runs_with_its_supplied_vectors(tmp_path, base_config):
    from recbole_darec.quick_start import run_recbole_darec

    write_dataset("s", str(tmp_path / "dataset"), SMALL)
    result = run_recbole_darec("DaRecLightGCN", "s", config_dict=base_config(tmp_path))
    assert result["test_result"]["recall@20"] > 0
    assert not os.path.exists(tmp_path / "dataset" / "s" / "s.useremb.meta.json")  # supplied, not re-encoded


def test_the_density_comes_out_as_asked_despite_the_heavy_tail(tmp_path):
    folder = write_dataset("s", str(tmp_path), dict(SMALL, users=2000, items=800, density=0.02, activity_exponent=1.5))
    rows = sum(
        len(open(os.path.join(folder, f"s.{part}.inter")).readlines()) - 1 for part in ("train", "valid", "test")
    )
    assert rows == pytest.approx(2000 * 800 * 0.02, rel=0.01)
