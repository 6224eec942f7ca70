"""Controlled profile corruption (recbole_darec.data.corruption): which rows, what happens to them, what is refused."""

import pytest
import torch

from recbole_darec.checks import ConfigError
from recbole_darec.config import Config
from recbole_darec.data.corruption import corrupt_profiles, corrupted_rows, corruption_settings, corruption_tag
from recbole_darec.data.identity import data_fingerprint
from recbole_darec.prepare import prepare_dataset_files
from recbole_darec.quick_start import _build

CLEAN_KEYS = {
    "profile_corruption_fraction": 0.0,
    "profile_corruption_kind": "shuffle",
    "profile_corruption_side": "both",
    "profile_corruption_seed": 0,
    "profile_corruption_noise_ratio": 1.0,
}


def _settings(**changes):
    return corruption_settings({**CLEAN_KEYS, **changes})


def _matrix(rows=41, dim=6):
    """Row 0 is [PAD] (zeros) and row 5 a node without a vector, as the dataset's matrices have them."""
    matrix = torch.randn(rows, dim, generator=torch.Generator().manual_seed(0))
    matrix[0] = 0
    matrix[5] = 0
    return matrix


def _changed(before, after):
    return set(torch.nonzero((before != after).any(dim=1)).flatten().tolist())


def test_the_rows_depend_on_the_seed_and_side_only_and_skip_pad_and_empty_rows():
    matrix = _matrix()
    first, _ = corrupted_rows(matrix, 0.5, seed=3, kind="user")
    again, _ = corrupted_rows(matrix.clone() * 2, 0.5, seed=3, kind="user")  # same rows whatever the values
    assert first.tolist() == again.tolist() and len(first) == round(0.5 * 39)
    assert 0 not in first and 5 not in first
    assert first.tolist() != corrupted_rows(matrix, 0.5, seed=4, kind="user")[0].tolist()
    assert first.tolist() != corrupted_rows(matrix, 0.5, seed=3, kind="item")[0].tolist()
    assert len(corrupted_rows(matrix, 0.25, seed=3, kind="user")[0]) == round(0.25 * 39)


def test_shuffle_permutes_the_chosen_rows_among_themselves_and_moves_every_one():
    matrix = _matrix()
    rows, _ = corrupted_rows(matrix, 0.5, seed=1, kind="item")
    shuffled = corrupt_profiles(matrix, "item", _settings(profile_corruption_fraction=0.5, profile_corruption_seed=1))
    assert _changed(matrix, shuffled) == set(rows.tolist())  # only the chosen rows, every one of them
    chosen = {tuple(r) for r in matrix[rows].tolist()}
    assert {tuple(r) for r in shuffled[rows].tolist()} == chosen  # the same vectors, moved
    assert torch.equal(shuffled.norm(dim=1).sort().values, matrix.norm(dim=1).sort().values)


@pytest.mark.parametrize("kind", ["noise", "random"])
def test_noise_and_random_keep_every_norm_and_change_only_the_chosen_rows(kind):
    matrix = _matrix()
    settings = _settings(profile_corruption_fraction=0.25, profile_corruption_kind=kind, profile_corruption_seed=2)
    corrupted = corrupt_profiles(matrix, "user", settings)
    rows, _ = corrupted_rows(matrix, 0.25, seed=2, kind="user")
    assert _changed(matrix, corrupted) == set(rows.tolist())
    torch.testing.assert_close(corrupted.norm(dim=1), matrix.norm(dim=1))
    cosine = torch.nn.functional.cosine_similarity(corrupted[rows], matrix[rows])
    if kind == "noise":  # noise of the row's own norm: still correlated with the clean vector, but not the same
        assert (cosine > 0.2).all() and (cosine < 0.999).all()
    else:
        assert cosine.abs().mean() < 0.6


def test_fraction_zero_and_the_other_side_change_nothing():
    matrix = _matrix()
    assert _settings() is None and corruption_tag({**CLEAN_KEYS}) is None
    assert corrupt_profiles(matrix, "user", _settings()) is matrix
    only_items = _settings(profile_corruption_fraction=1.0, profile_corruption_side="item")
    assert corrupt_profiles(matrix, "user", only_items) is matrix
    assert _changed(matrix, corrupt_profiles(matrix, "item", only_items)) == set(range(1, 41)) - {5}


@pytest.mark.parametrize(
    "key, value",
    [
        ("profile_corruption_fraction", 1.5),
        ("profile_corruption_fraction", -0.1),
        ("profile_corruption_fraction", "half"),
        ("profile_corruption_kind", "swap"),
        ("profile_corruption_side", "users"),
        ("profile_corruption_seed", -1),
        ("profile_corruption_noise_ratio", 0),
    ],
)
def test_a_bad_value_is_refused_with_its_key(key, value):
    with pytest.raises(ConfigError, match=key):
        _settings(**{"profile_corruption_fraction": 0.5, key: value})


def test_a_profile_model_reads_corrupted_vectors_and_its_fingerprint_says_so(tmp_path, toy_profiled, base_config):
    def build(model, **settings):
        config = Config(
            model=model, dataset="toy", config_dict=base_config(tmp_path, data_path=str(toy_profiled), **settings)
        )
        prepare_dataset_files(config)
        return config, _build(config)[1]

    clean_config, clean = build("RLMRecConLightGCN")
    corrupt = {"profile_corruption_fraction": 0.5, "profile_corruption_kind": "shuffle"}
    config, model = build("RLMRecConLightGCN", **corrupt)
    assert (
        len(_changed(clean.user_profile, model.user_profile)) == (clean.n_users - 1) // 2
    )  # every user has a vector; [PAD] is left
    assert len(_changed(clean.item_profile, model.item_profile)) == round(0.5 * (clean.n_items - 1))
    assert "profile_corruption" not in data_fingerprint(clean_config)
    tag = data_fingerprint(config)["profile_corruption"]
    assert tag == "shuffle fraction=0.5 side=both seed=0"
    files = {k: v for k, v in data_fingerprint(config).items() if k != "profile_corruption"}
    assert files == data_fingerprint(clean_config)  # the files on disk are untouched
    with pytest.raises(ConfigError, match="reads no profile vectors"):
        Config(
            model="LightGCN", dataset="toy", config_dict=base_config(tmp_path, data_path=str(toy_profiled), **corrupt)
        )
