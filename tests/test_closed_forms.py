"""Models fitted rather than trained: L3AE's closed forms, and every RecBole general built-in under our trainer."""

import inspect

import numpy as np
import pytest
import recbole.model.general_recommender as builtins
import scipy.sparse as sp
import torch
from recbole.model.abstract_recommender import GeneralRecommender

from recbole_darec.checks import ConfigError
from recbole_darec.config import Config
from recbole_darec.model.l3ae import audience_vectors, ease_weights
from recbole_darec.model.lookup import UnsupportedModelError
from recbole_darec.quick_start import load_data_and_model, run_recbole_darec
from recbole_darec.trainer import FittedTrainer, get_trainer, is_fitted


def constrained_least_squares(x, reg, prior=None, prior_weight=0.0):
    """argmin ||X - X B||^2 + reg ||B||^2 + prior_weight ||B - prior||^2 with diag(B) = 0, column by column: each
    column j regresses X[:, j] on the other columns (an independent route to the closed form)."""
    n = x.shape[1]
    prior = np.zeros((n, n)) if prior is None else prior
    weights = np.zeros((n, n))
    for j in range(n):
        others = np.arange(n) != j
        a = x[:, others]
        lhs = a.T @ a + (reg + prior_weight) * np.eye(n - 1)
        weights[others, j] = np.linalg.solve(lhs, a.T @ x[:, j] + prior_weight * prior[others, j])
    return weights


@pytest.fixture()
def small():
    rng = np.random.default_rng(0)
    interactions = (rng.random((40, 12)) < 0.3).astype(np.float64)
    vectors = rng.standard_normal((12, 6))
    return interactions, vectors


def test_ease_weights_solve_the_constrained_problem(small):
    x, _ = small
    np.testing.assert_allclose(ease_weights(x.T @ x, 3.0), constrained_least_squares(x, 3.0), atol=1e-10)


def test_the_text_prior_is_ease_on_the_item_vectors(small):
    _, vectors = small  # items x d: the d dimensions play EASE's users
    np.testing.assert_allclose(
        ease_weights(vectors @ vectors.T, 0.5), constrained_least_squares(vectors.T, 0.5), atol=1e-10
    )


def test_the_pull_toward_the_prior_solves_its_problem_and_vanishes_at_weight_zero(small):
    x, vectors = small
    prior = ease_weights(vectors @ vectors.T, 0.5)
    pulled = ease_weights(x.T @ x, 3.0, prior, 7.0)
    np.testing.assert_allclose(pulled, constrained_least_squares(x, 3.0, prior, 7.0), atol=1e-10)
    np.testing.assert_allclose(ease_weights(x.T @ x, 3.0, prior, 0.0), ease_weights(x.T @ x, 3.0), atol=1e-10)
    assert not np.allclose(pulled, ease_weights(x.T @ x, 3.0), atol=1e-3)


@pytest.mark.slow
def test_l3ae_runs_fits_deterministically_and_equals_ease_without_its_prior(
    tmp_path, toy_profiled, base_config, copy_dataset
):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    settings = base_config(tmp_path, reg_weight=20.0, l3ae_text_reg=1.0)
    first = run_recbole_darec("L3AE", "toy", config_dict=dict(settings, l3ae_prior_weight=50.0))
    config, model, _, train_data, _, test_data = load_data_and_model(first["model_file"])
    trainer = get_trainer(config, model)(config, model)
    assert trainer.__class__ is FittedTrainer
    assert dict(trainer.evaluate(test_data, load_best_model=False)) == dict(first["test_result"])
    x = train_data._dataset.inter_matrix(form="csr").astype(np.float64)
    config, plain, _, _, _, _ = load_data_and_model(first["model_file"], {"l3ae_prior_weight": 0.0})
    np.testing.assert_allclose(plain.item_weights, ease_weights((x.T @ x).toarray(), 20.0), atol=1e-10)


@pytest.mark.parametrize(
    "key, value",
    [("l3ae_text_reg", 0), ("l3ae_prior_weight", -1.0), ("reg_weight", "big"), ("dense_memory_limit_gb", 0)],
)
def test_a_bad_regulariser_is_refused_naming_its_key(tmp_path, toy_profiled, base_config, copy_dataset, key, value):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    with pytest.raises(ConfigError, match=key):
        run_recbole_darec("L3AE", "toy", config_dict=base_config(tmp_path, **{key: value}))


def test_dense_matrices_over_the_limit_are_refused_with_the_figure_before_allocating(
    tmp_path, toy_profiled, base_config, copy_dataset, monkeypatch
):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    monkeypatch.setattr(np.linalg, "inv", lambda *_: pytest.fail("allocated before refusing"))
    with pytest.raises(ConfigError, match=r"needs about 0\.000265 GB.*dense_memory_limit_gb = 1e-05"):
        run_recbole_darec("L3AE", "toy", config_dict=base_config(tmp_path, dense_memory_limit_gb=1e-5))


BUILTINS = sorted(
    name
    for name, cls in vars(builtins).items()
    if inspect.isclass(cls) and issubclass(cls, GeneralRecommender) and cls is not GeneralRecommender
)
REFUSED = {"RaCT"}  # pre-training stages with RecBole-format checkpoints
# settings that fit ml-100k (NCL's default 1,000 clusters exceed its 943 items); the two slowest on fewer users
FEWER_USERS = {"user_inter_num_interval": "[0,12]"}
SETTINGS = {"NCL": {"num_clusters": 100}, "ConvNCF": FEWER_USERS, "NNCF": FEWER_USERS}


@pytest.mark.slow
@pytest.mark.parametrize("model", [m for m in BUILTINS if m not in REFUSED])
def test_every_recbole_general_builtin_fits_validates_and_tests(tmp_path, base_config, model):
    """On ml-100k's five-star ratings (a fifth of it, so the slowest take seconds), one epoch, validated every 3
    epochs: a fitted model validates and checkpoints all the same, and a rebuilt one (refitted from the same data,
    Pop's counts from the checkpoint) scores the same."""
    five_stars = {"load_col": {"inter": ["user_id", "item_id", "rating"]}, "val_interval": {"rating": "[5,5]"}}
    settings = base_config(tmp_path, eval_step=3, **five_stars, **SETTINGS.get(model, {}))
    try:
        result = run_recbole_darec(model, "ml-100k", config_dict=settings)
    except UnsupportedModelError as err:  # an optional package missing: one line that says what to install
        assert "pip install" in str(err) and "\n" not in str(err)
        return
    assert result["test_result"]["recall@20"] >= 0
    assert result["best_valid_result"] is not None or model not in ("EASE", "Pop", "ItemKNN")
    config, reloaded, _, _, _, test_data = load_data_and_model(result["model_file"])
    if (config["MODEL_TYPE"].name == "TRADITIONAL" or model == "NCEPLRec") and model != "Random":
        trainer = get_trainer(config, reloaded)(config, reloaded)
        assert dict(trainer.evaluate(test_data, load_best_model=False)) == dict(result["test_result"])


def test_a_builtin_that_cannot_run_is_refused_before_reading_data(tmp_path, base_config):
    with pytest.raises(UnsupportedModelError, match="RaCT trains in separate pre-training stages"):
        Config(model="RaCT", dataset="no-such-dataset", config_dict=base_config(tmp_path))


def test_fitted_models_are_those_with_nothing_to_learn_by_gradient():
    placeholder = torch.nn.Module()
    placeholder.dummy_param = torch.nn.Parameter(torch.zeros(1))  # what RecBole's closed forms carry
    assert is_fitted(placeholder)
    placeholder.embedding = torch.nn.Embedding(3, 2)
    assert not is_fitted(placeholder)


def test_profile_init_is_refused_for_a_model_without_our_id_tables(tmp_path, base_config):
    with pytest.raises(ConfigError, match="profile_init = spaced_dims .* EASE has none of ours"):
        Config(model="EASE", dataset="ml-100k", config_dict=base_config(tmp_path, profile_init="spaced_dims"))


def test_audience_vectors_are_each_items_normalised_sum_of_its_users_profiles():
    x = sp.csr_matrix(np.array([[1.0, 0, 1], [0, 0, 1], [1, 0, 0]]))
    users = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]])
    got = audience_vectors(x, users)
    np.testing.assert_allclose(got[0], np.array([3.0, 6.0]) / np.hypot(3, 6))
    np.testing.assert_allclose(got[1], [0.0, 0.0])  # nobody: zero, not NaN
    np.testing.assert_allclose(got[2], np.array([4.0, 4.0]) / np.hypot(4, 4))


@pytest.mark.slow
def test_the_audience_option_changes_only_the_prior(tmp_path, toy_profiled, base_config, copy_dataset):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    plain = run_recbole_darec("L3AE", "toy", config_dict=base_config(tmp_path))
    config, paper, _, train_data, _, _ = load_data_and_model(plain["model_file"])
    _, extended, _, _, _, _ = load_data_and_model(plain["model_file"], {"l3ae_audience_weight": 1.0})
    dataset = train_data._dataset
    x = dataset.inter_matrix(form="csr").astype(np.float64)
    items = dataset.profile_matrix("item", dtype=torch.float64).numpy()
    both = np.hstack([items, audience_vectors(x, dataset.profile_matrix("user", dtype=torch.float64).numpy())])
    np.testing.assert_allclose(extended.prior, ease_weights(both @ both.T, config["l3ae_text_reg"]), atol=1e-10)
    np.testing.assert_allclose(paper.prior, ease_weights(items @ items.T, config["l3ae_text_reg"]), atol=1e-10)


def test_recboles_ease_is_refused_above_the_dense_memory_limit_too(tmp_path, toy_profiled, base_config, copy_dataset):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    with pytest.raises(ConfigError, match=r"EASE needs about 0\.000199 GB .* dense_memory_limit_gb = 1e-05"):
        run_recbole_darec("EASE", "toy", config_dict=base_config(tmp_path, dense_memory_limit_gb=1e-5))


def test_a_closed_form_refuses_lightgcns_l2_weight_from_a_shared_preset(
    tmp_path, toy_profiled, base_config, copy_dataset
):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    with pytest.raises(ConfigError, match=r"EASE's reg_weight = 1e-06 .* rlmrec_lightgcn.yaml"):
        run_recbole_darec("EASE", "toy", config_dict=base_config(tmp_path, reg_weight=1e-6))


@pytest.mark.parametrize("batch_size", [7, 4096])
def test_pop_counts_every_training_interaction_whatever_the_batch_size(
    tmp_path, toy_profiled, base_config, copy_dataset, batch_size
):
    """RecBole's Pop counts an item once per batch (RecBole #2198): at batch 4,096 every toy item would count 1."""
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    result = run_recbole_darec("Pop", "toy", config_dict=base_config(tmp_path, train_batch_size=batch_size))
    _, model, _, train_data, _, _ = load_data_and_model(result["model_file"])
    counts = np.asarray(train_data._dataset.inter_matrix(form="csr").sum(axis=0)).ravel()
    np.testing.assert_array_equal(model.item_cnt.squeeze(1).numpy(), counts)
    assert counts.max() > 1
