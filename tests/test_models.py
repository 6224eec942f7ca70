"""The plug-in contract inside real models, and every model end to end."""

import math

import numpy as np
import pytest
import torch
from recbole.utils import ModelType

from recbole_darec.config import ConfigError
from recbole_darec.model.darec import DaRecAlignment
from recbole_darec.model.lookup import get_model, our_model_names
from recbole_darec.profiles import split_pairs
from recbole_darec.quick_start import load_data_and_model, run_recbole_darec
from recbole_darec.trainer import get_trainer

# models trained by gradient; the fitted ones (RecBole's TRADITIONAL type: L3AE, Pop) are in tests/test_closed_forms.py
TRAINED_MODELS = [m for m in our_model_names() if get_model(m).type != ModelType.TRADITIONAL]


@pytest.mark.parametrize(
    "matching, center_loss, global_loss",
    [("joint", "mse", "mse"), ("hungarian", "infonce", "kl"), ("joint", "infonce", "infonce")],
)
def test_gradients_reach_every_head_and_terms_are_finite(
    tmp_path, ml100k_profiles, matching, center_loss, global_loss, build
):
    config, _, model, train, _, _ = build(
        tmp_path,
        ml100k_profiles,
        "DaRecLightGCN",
        darec_center_matching=matching,
        darec_center_loss=center_loss,
        darec_global_loss=global_loss,
        darec_llm_head="mlp",
        darec_cf_head="mlp",
    )
    model.train()
    losses = model.calculate_loss(next(iter(train)))
    assert len(losses) == 5 and all(torch.isfinite(x) for x in losses)
    sum(losses).backward()
    for name, param in model.alignment.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0 and torch.isfinite(param.grad).all(), name
    assert model.user_embedding.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("model_name, scaled", [("RLMRecConSGL", True), ("RLMRecConLightGCN", False)])
def test_alignment_terms_scale_with_a_batch_summed_backbone_loss(tmp_path, ml100k_profiles, model_name, scaled, build):
    """RecBole's SGL sums its loss over the batch, so the (mean) alignment terms are multiplied by the batch size."""
    _, _, model, train, _, _ = build(tmp_path, ml100k_profiles, model_name)
    batch = next(iter(train))
    model.train()
    term = model.calculate_loss(batch)[-1]
    model.eval()
    with torch.no_grad():
        main_view = model.forward(model.train_graph) if model_name.endswith("SGL") else model.forward()
        direct = model.alignment.extra_loss_terms(
            batch[model.USER_ID],
            batch[model.ITEM_ID],
            batch[model.NEG_ITEM_ID],
            *main_view,
            model.user_profile,
            model.item_profile,
        )["rlmrec_con"]
    assert term.item() == pytest.approx(direct.item() * (len(batch) if scaled else 1), rel=1e-5)


def test_a_batch_with_one_user_gives_zero_terms_of_the_same_names(tmp_path, ml100k_profiles, build):
    config, _, model, _, _, _ = build(tmp_path, ml100k_profiles, "DaRecLightGCN")
    user_all, item_all = model.forward()
    one = torch.tensor([5, 5])
    terms = model.alignment.extra_loss_terms(
        one, torch.tensor([3, 4]), torch.tensor([7, 8]), user_all, item_all, model.user_profile, model.item_profile
    )
    assert list(terms) == ["darec_or", "darec_uni", "darec_glo", "darec_loc"]
    assert all(float(t) == 0.0 for t in terms.values())


def test_each_weight_switches_its_own_term(tmp_path, ml100k_profiles, build):
    config, _, model, train, _, _ = build(
        tmp_path, ml100k_profiles, "DaRecLightGCN", darec_uni_weight=0, darec_loc_weight=0
    )
    model.train()
    losses = model.calculate_loss(next(iter(train)))
    assert len(losses) == 3  # backbone, or, glo


def test_the_profile_ranking_term_is_bpr_on_the_llm_shared_parts_and_trains_only_the_llm_head(
    tmp_path, ml100k_profiles, build
):
    weights = {f"darec_{k}_weight": 0 for k in ("or", "uni", "glo", "loc")}
    config, _, model, train, _, _ = build(tmp_path, ml100k_profiles, "DaRecLightGCN", darec_rank_weight=0.5, **weights)
    batch = next(iter(train))
    users, pos, neg = batch[model.USER_ID], batch[model.ITEM_ID], batch[model.NEG_ITEM_ID]
    model.train()
    terms = model.alignment.extra_loss_terms(users, pos, neg, *model.forward(), model.user_profile, model.item_profile)
    assert list(terms) == ["darec_rank"]
    heads = model.alignment.llm_heads
    u, i, j = (heads(p)[0] for p in (model.user_profile[users], model.item_profile[pos], model.item_profile[neg]))
    expected = 0.5 * torch.log1p(torch.exp(-((u * i).sum(1) - (u * j).sum(1)))).mean()
    assert terms["darec_rank"].item() == pytest.approx(expected.item(), rel=1e-5)
    terms["darec_rank"].backward()
    assert heads.first.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.alignment.cf_heads.parameters())
    assert model.user_embedding.weight.grad is None  # it scores with the profiles only
    # a one-user batch: the pairwise terms are zero, the ranking term is not
    model.alignment.weights["glo"] = 0.3
    one = torch.tensor([5, 5])
    terms = model.alignment.extra_loss_terms(
        one, pos[:2], neg[:2], *model.forward(), model.user_profile, model.item_profile
    )
    assert terms["darec_glo"].item() == 0.0 and terms["darec_rank"].item() > 0.0


def test_a_narrower_shared_width_shapes_every_part_and_still_trains(darec_settings):
    alignment = DaRecAlignment(
        darec_settings(darec_shared_dim=3, darec_cf_head="mlp", darec_score="disentangled"),
        cf_dim=8,
        llm_dim=12,
        n_users=20,
        n_items=30,
    )
    g = torch.Generator().manual_seed(0)
    user_all, item_all = torch.randn(20, 8, generator=g, requires_grad=True), torch.randn(30, 8, generator=g)
    user_profile, item_profile = torch.randn(20, 12, generator=g), torch.randn(30, 12, generator=g)
    assert [p.shape[1] for p in (*alignment.cf_heads(item_all), *alignment.llm_heads(item_profile))] == [3, 3, 3, 3]
    assert alignment.centers.centers_cf.shape[-1] == 6  # joint matching: both sides' shared parts side by side
    assert alignment.scoring_view(user_all, item_all, user_profile, item_profile)[1].shape[1] == 6
    users, pos, neg = (torch.randint(1, n, (16,), generator=g) for n in (20, 30, 30))
    terms = alignment.extra_loss_terms(users, pos, neg, user_all, item_all, user_profile, item_profile)
    assert len(terms) == 4 and all(torch.isfinite(t) for t in terms.values())
    sum(terms.values()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in alignment.parameters())
    assert user_all.grad.abs().sum() > 0
    with pytest.raises(ConfigError, match="darec_shared_dim = 3 needs trainable CF heads"):
        DaRecAlignment(darec_settings(darec_shared_dim=3, darec_cf_head="identity"), 8, 12, 20, 30)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("darec_shared_dim", -1, "darec_shared_dim"),
        ("darec_glo_weight", -1, "darec_glo_weight"),
        ("darec_n_clusters", 5000, "exceeds"),
        ("darec_center_matching", "greedy", "darec_center_matching"),
        ("darec_global_loss", "cosine", "darec_global_loss"),
        ("darec_global_temperature", 0, "darec_global_temperature"),
        ("rlmrec_temperature", 0, "rlmrec_temperature"),
    ],
)
def test_out_of_range_model_settings_are_clear_errors(tmp_path, ml100k_profiles, key, value, message, build):
    model = "RLMRecConLightGCN" if key.startswith("rlmrec") else "DaRecLightGCN"
    with pytest.raises(ConfigError, match=message):
        build(tmp_path, ml100k_profiles, model, **{key: value})


@pytest.mark.slow
@pytest.mark.parametrize("backbone", ["LightGCN", "SimGCL"])
def test_zero_weights_reproduce_the_backbone_exactly(tmp_path, toy_profiled, backbone, base_config, copy_dataset):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    common = base_config(tmp_path, epochs=2, train_batch_size=256)
    plain = run_recbole_darec(backbone, "toy", config_dict=common)
    zeros = {f"darec_{k}_weight": 0 for k in ("or", "uni", "glo", "loc")}
    darec = run_recbole_darec(f"DaRec{backbone}", "toy", config_dict=dict(common, **zeros))
    assert darec["train_loss"] == plain["train_loss"]
    assert dict(darec["test_result"]) == dict(plain["test_result"])


@pytest.mark.slow
@pytest.mark.parametrize("model", TRAINED_MODELS)
def test_every_model_trains_and_its_checkpoint_scores_identically(
    tmp_path, toy_profiled, model, base_config, config_for, copy_dataset, monkeypatch
):
    """One epoch whose last batch has a single row (a batch of n - 1, then 1): every batch returns the same
    tuple of terms (RecBole's trainer zips them, so a shorter tuple would be cut silently), then the
    checkpoint reloads to the same metrics."""
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    n_train = len(split_pairs(config_for(tmp_path, dataset="toy", model=model))["train"])
    model_class, batches = get_model(model), []
    calculate_loss = model_class.calculate_loss

    def recorded(self, interaction):
        losses = calculate_loss(self, interaction)
        batches.append((len(interaction), len(losses) if isinstance(losses, tuple) else None))
        return losses

    monkeypatch.setattr(model_class, "calculate_loss", recorded)
    result = run_recbole_darec(model, "toy", config_dict=base_config(tmp_path, train_batch_size=n_train - 1))
    assert [size for size, _ in batches] == [n_train - 1, 1]
    assert batches[0][1] is not None and batches[1][1] == batches[0][1]
    assert all(math.isfinite(v) for v in np.ravel(list(result["train_loss"].values())))
    assert result["test_result"]["recall@20"] > 0
    config, reloaded, _, _, _, test_data = load_data_and_model(result["model_file"])
    trainer = get_trainer(config, reloaded)(config, reloaded)
    assert dict(trainer.evaluate(test_data, load_best_model=False)) == dict(result["test_result"])


@pytest.mark.parametrize("matching", ["joint", "hungarian"])
def test_kmeans_refits_start_from_the_previous_centers(tmp_path, ml100k_profiles, matching, build):
    config, _, model, _, _, _ = build(tmp_path, ml100k_profiles, "DaRecLightGCN", darec_center_matching=matching)
    alignment = model.alignment
    with torch.no_grad():
        user_all, item_all = model.forward()
    centers = alignment.centers
    alignment._refit_centers(0, user_all, model.user_profile)  # first fit: k-means++
    first = centers.centers_cf.clone()
    alignment.step += 1
    alignment._refit_centers(0, user_all, model.user_profile)  # same nodes, warm start: identities persist
    assert torch.equal(torch.cdist(centers.centers_cf[0], first[0]).argmin(dim=1), torch.arange(16))
    centers.centers_cf[0, 0] = 100.0  # a center no row is near: its cluster empties, so k-means++ starts afresh
    alignment.step += 1
    alignment._refit_centers(0, user_all, model.user_profile)
    assert torch.isfinite(centers.centers_cf).all() and centers.centers_cf[0].abs().max() < 10


@pytest.mark.slow
def test_same_seed_gives_identical_metrics(tmp_path, toy_profiled, base_config, copy_dataset):
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    config = base_config(tmp_path, epochs=2, train_batch_size=256)
    first = run_recbole_darec("DaRecLightGCN", "toy", config_dict=config)
    second = run_recbole_darec("DaRecLightGCN", "toy", config_dict=config)
    assert first["train_loss"] == second["train_loss"]
    assert dict(first["test_result"]) == dict(second["test_result"])


@pytest.mark.parametrize("head", ["identity", "orthogonal", "split"])
def test_anchored_cf_heads_keep_the_shared_part_tied_to_the_scoring_embeddings(tmp_path, ml100k_profiles, build, head):
    _, _, model, train, _, _ = build(
        tmp_path,
        ml100k_profiles,
        "DaRecLightGCN",
        darec_cf_head=head,
        darec_global_loss="cka",
        darec_global_target="profile",
    )
    x = torch.randn(10, model.alignment.cf_heads.shared_dim * (2 if head == "split" else 1))
    shared, specific = model.alignment.cf_heads(x)
    if head == "identity":
        assert torch.equal(shared, x)
    elif head == "orthogonal":
        assert torch.allclose(shared.norm(dim=1), x.norm(dim=1), atol=1e-5)
    else:
        assert torch.equal(torch.cat([shared, specific], dim=1), x)
    model.train()
    losses = model.calculate_loss(next(iter(train)))
    assert all(torch.isfinite(t) for t in losses)
    sum(losses).backward()
    assert model.user_embedding.weight.grad.abs().sum() > 0


def test_a_profile_target_is_refused_with_the_cross_side_form(tmp_path, ml100k_profiles, build):
    with pytest.raises(ConfigError, match="darec_global_target"):
        build(tmp_path, ml100k_profiles, "DaRecLightGCN", darec_global_loss="infonce", darec_global_target="profile")
