"""DaRec's losses on hand-made tensors, the plug-in contract, and every model end to end."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import base_config, copy_dataset

import recbole_darec  # noqa: F401
from recbole_darec.config import Config, ConfigError
from recbole_darec.model.losses import (
    center_alignment,
    cluster_means,
    cosine_gram,
    cross_alignment,
    orthogonality,
    similarity_structure,
    uniformity,
)
from recbole_darec.quick_start import load_data_and_model, run_recbole_darec
from recbole_darec.utils import get_trainer

NEW_MODELS = ["SimGCL", "DaRecLightGCN", "DaRecSGL", "DaRecSimGCL", "RLMRecConLightGCN", "RLMRecConSGL",
              "RLMRecConSimGCL", "RLMRecGenLightGCN", "RLMRecGenSGL", "RLMRecGenSimGCL"]


# ---------------------------------------------------------------- losses
def unit(x):
    return torch.nn.functional.normalize(x, dim=-1)


def test_orthogonality_is_zero_for_orthogonal_and_one_for_parallel_pairs():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert orthogonality(unit(a), unit(torch.tensor([[0.0, 3.0], [-1.0, 0.0]]))).item() == pytest.approx(0.0)
    assert orthogonality(unit(a), unit(5 * a)).item() == pytest.approx(1.0)
    assert orthogonality(unit(a), unit(-a)).item() == pytest.approx(1.0)


def test_uniformity_is_lower_for_spread_rows_than_collapsed_ones():
    spread = torch.eye(8)
    collapsed = torch.ones(8, 8) + 0.01 * torch.randn(8, 8, generator=torch.Generator().manual_seed(0))
    assert uniformity(cosine_gram(spread)).item() < uniformity(cosine_gram(collapsed)).item()
    assert uniformity(cosine_gram(spread)).item() == pytest.approx(-4.0)  # all pairs at squared distance 2
    assert uniformity(cosine_gram(collapsed)).item() == pytest.approx(0.0, abs=1e-3)


def test_uniformity_matches_the_pairwise_definition():
    x = torch.randn(12, 5, generator=torch.Generator().manual_seed(7))
    by_pairs = torch.pdist(unit(x)).pow(2).mul(-2).exp().mean().log()
    assert uniformity(cosine_gram(x)).item() == pytest.approx(by_pairs.item(), abs=1e-5)


def test_global_loss_is_zero_for_identical_similarity_structure():
    x = torch.randn(10, 4, generator=torch.Generator().manual_seed(1))
    rotation, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(2)))
    other = torch.randn(10, 4, generator=torch.Generator().manual_seed(3))
    for kind in ("mse", "kl"):
        same = similarity_structure(cosine_gram(x), cosine_gram(3 * x @ rotation), kind, 0.2)
        assert same.item() == pytest.approx(0.0, abs=1e-5)
        assert similarity_structure(cosine_gram(x), cosine_gram(other), kind, 0.2).item() > 0.05


def test_cross_side_global_loss_singles_out_each_rows_counterpart():
    x = unit(torch.randn(2, 8, 4, generator=torch.Generator().manual_seed(4)))
    noisy = unit(x + 0.05 * torch.randn(2, 8, 4, generator=torch.Generator().manual_seed(5)))
    aligned = cross_alignment(x @ noisy.transpose(-1, -2), 0.2)
    assert aligned.shape == (2,)
    for side in range(2):  # each leading set is its own mean InfoNCE
        logits = x[side] @ noisy[side].T / 0.2
        assert aligned[side].item() == pytest.approx(F.cross_entropy(logits, torch.arange(8)).item(), abs=1e-5)
    shuffled = cross_alignment(x @ noisy[:, torch.randperm(8, generator=torch.Generator().manual_seed(6))]
                               .transpose(-1, -2), 0.2)
    assert (aligned < shuffled).all()
    # collapse of both sides, which zeroes the mse and kl forms, leaves the chance level log(n)
    collapsed = torch.ones(1, 8, 8)
    assert cross_alignment(collapsed, 0.2).item() == pytest.approx(math.log(8), abs=1e-5)
    assert similarity_structure(collapsed, collapsed, "kl", 0.2).item() == pytest.approx(0.0, abs=1e-6)


def test_pairwise_terms_give_one_value_per_leading_set():
    x = torch.randn(3, 2, 6, 4, generator=torch.Generator().manual_seed(8))
    y = torch.randn(3, 2, 6, 4, generator=torch.Generator().manual_seed(9))
    batched = [orthogonality(unit(x), unit(y)), uniformity(cosine_gram(x)),
               similarity_structure(cosine_gram(x), cosine_gram(y))]
    singles = [[orthogonality(unit(x[i, j]), unit(y[i, j])), uniformity(cosine_gram(x[i, j])),
                similarity_structure(cosine_gram(x[i, j]), cosine_gram(y[i, j]))] for i in range(3) for j in range(2)]
    for term, values in enumerate(batched):
        assert values.shape == (3, 2)
        assert torch.allclose(values.flatten(), torch.stack([s[term] for s in singles]), atol=1e-6)


def test_local_loss_is_zero_when_matched_centers_coincide():
    centers = torch.randn(5, 4, generator=torch.Generator().manual_seed(4))
    assert center_alignment(centers, 2 * centers, "mse").item() == pytest.approx(0.0, abs=1e-6)
    assert center_alignment(centers, centers.flip(0), "mse").item() > 0.1
    assert center_alignment(torch.eye(4), torch.eye(4), "infonce", 0.05).item() < 1e-6


@pytest.mark.parametrize("kind", ["mse", "infonce"])
def test_center_loss_ignores_absent_centers(kind):
    a = torch.randn(6, 4, generator=torch.Generator().manual_seed(10))
    b = torch.randn(6, 4, generator=torch.Generator().manual_seed(11))
    present = torch.tensor([True, False, True, True, False, True])
    masked = center_alignment(a, b, kind, 0.2, present)
    assert masked.item() == pytest.approx(center_alignment(a[present], b[present], kind, 0.2).item(), abs=1e-5)
    one_left = torch.tensor([True] + [False] * 5)
    assert center_alignment(a, b, kind, 0.2, one_left).item() == 0.0  # fewer than two centers: no term
    b.requires_grad_(True)
    center_alignment(a, b, kind, 0.2, present).backward()
    assert torch.isfinite(b.grad).all() and b.grad[~present].abs().sum() == 0


def test_cluster_means_torch_backend():
    x = torch.tensor([[1.0, 1.0], [3.0, 3.0], [5.0, 0.0]])
    means, counts = cluster_means(x, torch.tensor([0, 0, 2]), 3, backend="torch")
    assert torch.equal(counts, torch.tensor([2, 0, 1]))
    assert torch.allclose(means, torch.tensor([[2.0, 2.0], [0.0, 0.0], [5.0, 0.0]]))


def test_torch_and_torch_scatter_give_the_same_centers():
    pytest.importorskip("torch_scatter", reason="optional: pip install --no-build-isolation torch-scatter")
    x = torch.randn(200, 16, generator=torch.Generator().manual_seed(5))
    index = torch.randint(0, 7, (200,), generator=torch.Generator().manual_seed(6))
    a, ca = cluster_means(x, index, 9, backend="torch")
    b, cb = cluster_means(x, index, 9, backend="torch_scatter")
    assert torch.equal(ca, cb) and torch.allclose(a, b, atol=1e-6)


# ---------------------------------------------------------------- the module inside a model
def build(tmp_path, ml100k_profiles, model, **overrides):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    from recbole_darec.data import prepare_dataset_files
    from recbole_darec.quick_start import _build

    config = Config(model=model, dataset="ml-100k", config_dict=base_config(tmp_path, **overrides))
    prepare_dataset_files(config)
    return config, *_build(config)


@pytest.mark.parametrize("matching, center_loss, global_loss",
                         [("joint", "mse", "mse"), ("hungarian", "infonce", "kl"), ("joint", "infonce", "infonce")])
def test_gradients_reach_every_head_and_terms_are_finite(tmp_path, ml100k_profiles, matching, center_loss,
                                                         global_loss):
    config, _, model, train, _, _ = build(tmp_path, ml100k_profiles, "DaRecLightGCN", darec_center_matching=matching,
                                          darec_center_loss=center_loss, darec_global_loss=global_loss,
                                          darec_llm_head="mlp", darec_cf_head="mlp")
    model.train()
    losses = model.calculate_loss(next(iter(train)))
    assert len(losses) == 5 and all(torch.isfinite(x) for x in losses)
    sum(losses).backward()
    for name, param in model.alignment.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0 and torch.isfinite(param.grad).all(), name
    assert model.user_embedding.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("model_name, scaled", [("RLMRecConSGL", True), ("RLMRecConLightGCN", False)])
def test_alignment_terms_scale_with_a_batch_summed_backbone_loss(tmp_path, ml100k_profiles, model_name, scaled):
    """RecBole's SGL sums its loss over the batch, so the (mean) alignment terms are multiplied by the batch size."""
    _, _, model, train, _, _ = build(tmp_path, ml100k_profiles, model_name)
    batch = next(iter(train))
    model.train()
    term = model.calculate_loss(batch)[-1]
    model.eval()
    with torch.no_grad():
        main_view = model.forward(model.train_graph) if model_name.endswith("SGL") else model.forward()
        direct = model.alignment.loss(batch[model.USER_ID], batch[model.ITEM_ID], batch[model.NEG_ITEM_ID],
                                      *main_view, model.user_profile, model.item_profile)["rlmrec_con"]
    assert term.item() == pytest.approx(direct.item() * (len(batch) if scaled else 1), rel=1e-5)


@pytest.mark.parametrize("matching", ["joint", "hungarian"])
def test_kmeans_refits_start_from_the_previous_centers(tmp_path, ml100k_profiles, matching):
    config, _, model, _, _, _ = build(tmp_path, ml100k_profiles, "DaRecLightGCN", darec_center_matching=matching)
    alignment = model.alignment
    with torch.no_grad():
        user_all, item_all = model.forward()
    alignment._refit_centers(0, user_all, model.user_profile)  # step 0: k-means++
    first = alignment.centers_cf.clone()
    alignment.step += 1
    alignment._refit_centers(0, user_all, model.user_profile)  # same nodes, warm start: identities persist
    assert torch.equal(torch.cdist(alignment.centers_cf[0], first[0]).argmin(dim=1), torch.arange(16))
    alignment.centers_cf[0, 0] = 100.0  # a center no row is near: its cluster empties, so k-means++ starts afresh
    alignment.step += 1
    alignment._refit_centers(0, user_all, model.user_profile)
    assert torch.isfinite(alignment.centers_cf).all() and alignment.centers_cf[0].abs().max() < 10


def test_a_batch_with_one_user_adds_no_terms(tmp_path, ml100k_profiles):
    config, _, model, _, _, _ = build(tmp_path, ml100k_profiles, "DaRecLightGCN")
    user_all, item_all = model.forward()
    one = torch.tensor([5, 5])
    assert model.alignment.loss(one, torch.tensor([3, 4]), torch.tensor([7, 8]), user_all, item_all,
                                model.user_profile, model.item_profile) == {}


def test_each_weight_switches_its_own_term(tmp_path, ml100k_profiles):
    config, _, model, train, _, _ = build(tmp_path, ml100k_profiles, "DaRecLightGCN", darec_uni_weight=0,
                                          darec_loc_weight=0)
    model.train()
    losses = model.calculate_loss(next(iter(train)))
    assert len(losses) == 3  # backbone, or, glo


@pytest.mark.parametrize("key, value, message", [
    ("darec_glo_weight", -1, "darec_glo_weight"),
    ("darec_n_clusters", 5000, "exceeds"),
    ("darec_center_matching", "greedy", "darec_center_matching"),
    ("darec_global_loss", "cosine", "darec_global_loss"),
    ("darec_global_temperature", 0, "darec_global_temperature"),
    ("rlmrec_temperature", 0, "rlmrec_temperature"),
])
def test_out_of_range_model_settings_are_clear_errors(tmp_path, ml100k_profiles, key, value, message):
    model = "RLMRecConLightGCN" if key.startswith("rlmrec") else "DaRecLightGCN"
    with pytest.raises(ConfigError, match=message):
        build(tmp_path, ml100k_profiles, model, **{key: value})


@pytest.mark.parametrize("backbone", ["LightGCN", "SimGCL"])
def test_zero_weights_reproduce_the_backbone_exactly(tmp_path, ml100k_profiles, backbone):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    common = base_config(tmp_path, epochs=2)
    plain = run_recbole_darec(backbone, "ml-100k", config_dict=common)
    zeros = {f"darec_{k}_weight": 0 for k in ("or", "uni", "glo", "loc")}
    darec = run_recbole_darec(f"DaRec{backbone}", "ml-100k", config_dict=dict(common, **zeros))
    assert darec["train_loss"] == plain["train_loss"]
    assert dict(darec["test_result"]) == dict(plain["test_result"])


@pytest.mark.parametrize("model", NEW_MODELS)
def test_every_model_trains_and_its_checkpoint_scores_identically(tmp_path, ml100k_profiles, model):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    result = run_recbole_darec(model, "ml-100k", config_dict=base_config(tmp_path))
    assert all(math.isfinite(v) for v in np.ravel(list(result["train_loss"].values())))
    assert result["test_result"]["recall@20"] > 0
    config, reloaded, _, _, _, test_data = load_data_and_model(result["model_file"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, reloaded)
    assert dict(trainer.evaluate(test_data, load_best_model=False)) == dict(result["test_result"])


def test_lightgcn_rlmrec_options(tmp_path):
    from recbole_darec.data import prepare_dataset_files
    from recbole_darec.quick_start import _build

    def model_with(**options):
        config = Config(model="LightGCN", dataset="ml-100k", config_dict=base_config(tmp_path, **options))
        prepare_dataset_files(config)
        return _build(config)[1]

    mean, summed = model_with(), model_with(layer_combination="sum")
    mean.eval(), summed.eval()
    layers = mean.n_layers + 1
    assert torch.allclose(summed.forward()[0], layers * mean.forward()[0], atol=1e-5)  # same seed, same weights
    dropped = model_with(edge_keep_rate=0.8)
    dropped.train()
    assert dropped.training_graph()._nnz() < 0.85 * dropped.norm_adj_matrix._nnz()
    dropped.eval()
    assert dropped.training_graph() is dropped.norm_adj_matrix  # evaluation always sees every edge
    with pytest.raises(ConfigError, match="edge_keep_rate"):
        model_with(edge_keep_rate=1.5)
