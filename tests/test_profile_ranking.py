"""Profile knowledge in the ranking: DaRec's inference rules, profile-initialised embeddings, AlphaRec."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recbole_darec.checks import ConfigError


@pytest.mark.parametrize("rule", ["backbone", "disentangled", "fused"])
def test_darec_scoring_rules_match_a_hand_computation(rule, darec_settings):
    from recbole_darec.model.darec import DaRecAlignment

    alignment = DaRecAlignment(darec_settings(darec_score=rule), cf_dim=4, llm_dim=6, n_users=5, n_items=7)
    g = torch.Generator().manual_seed(0)
    user_all, item_all = torch.randn(5, 4, generator=g), torch.randn(7, 4, generator=g)
    user_profile, item_profile = torch.randn(5, 6, generator=g), torch.randn(7, 6, generator=g)
    if rule == "fused":
        assert alignment.fused_gate.item() == 0.0  # starts as the backbone's ranking
        alignment.fused_gate.data.fill_(0.7)
    with torch.no_grad():
        users, items = alignment.scoring_view(user_all, item_all, user_profile, item_profile)
        scores = users @ items.T
        expected = user_all @ item_all.T
        if rule == "disentangled":  # linear CF heads: one weight matrix, rows [shared; specific]
            weight, bias = alignment.cf_heads.first.weight, alignment.cf_heads.first.bias
            shared = (lambda x: x @ weight[:4].T + bias[:4], lambda x: x @ weight[4:].T + bias[4:])
            expected = sum(part(user_all) @ part(item_all).T for part in shared)
        if rule == "fused":  # the LLM side's MLP shared head, gated, added to the CF scores

            def llm_shared(x):
                first, second = alignment.llm_heads.first, alignment.llm_heads.second[0]
                hidden = (x @ first.weight.T + first.bias)[:, : second.in_features]
                return F.leaky_relu(hidden) @ second.weight.T + second.bias

            expected = expected + 0.7 * llm_shared(user_profile) @ llm_shared(item_profile).T
    assert torch.allclose(scores, expected, atol=1e-5)


@pytest.fixture
def cold_split(tmp_path, write_random_embeddings, base_config):
    """A fixed split where item 99 is liked in test only (a cold item), with profile vectors for everyone."""
    from recbole_darec.config import Config
    from recbole_darec.prepare import prepare_dataset_files

    folder = tmp_path / "dataset" / "cold"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    header = "user_id:token\titem_id:token\n"
    train = [(u, i) for u in range(1, 41) for i in rng.choice(np.arange(1, 31), size=8, replace=False)]
    held_out = {"valid": [(u, 31 + u % 5) for u in range(1, 41)], "test": [(u, 99) for u in range(1, 11)]}
    (folder / "cold.train.inter").write_text(header + "".join(f"{u}\t{i}\n" for u, i in train))
    for split, pairs in held_out.items():
        (folder / f"cold.{split}.inter").write_text(header + "".join(f"{u}\t{i}\n" for u, i in pairs))
    (folder / "cold.yaml").write_text("benchmark_filename: [train, valid, test]\n")
    write_random_embeddings(str(folder), "cold", "user", range(1, 41))
    write_random_embeddings(str(folder), "cold", "item", [*range(1, 36), 99], seed=1)

    def build(model, **options):
        from recbole_darec.quick_start import _build

        config = Config(model=model, dataset="cold", config_dict=base_config(tmp_path, **options))
        prepare_dataset_files(config)
        _, net, train_data, _, _ = _build(config)
        return net, train_data._dataset  # the training split: what a model may read

    return build


@pytest.mark.parametrize("model, options", [("DaRecLightGCN", {"darec_score": "fused"}), ("AlphaRec", {})])
def test_a_cold_item_is_ranked_by_its_profile(cold_split, model, options):
    net, dataset = cold_split(model, **options)
    if model == "DaRecLightGCN":
        net.alignment.fused_gate.data.fill_(1.0)  # as after training has moved the profile part in
    cold = dataset.token2id(dataset.iid_field, "99")
    assert not (dataset.inter_feat[dataset.iid_field] == cold).any()  # no training interaction
    net.eval()
    with torch.no_grad():
        users, items = net.scoring_view(*net.inference_view())
        scores = users[1:] @ items[cold]
        assert scores.std() > 1e-4  # not a constant: users are told apart on an item nobody trained on
        if model == "DaRecLightGCN":
            net.item_profile[cold] += 1.0  # another profile, another score
        else:
            net.item_language[cold] += 1.0
        moved = net.scoring_view(*net.inference_view())
    assert not torch.allclose(moved[0][1:] @ moved[1][cold], scores)


def test_the_backbone_rule_ignores_a_cold_items_profile(cold_split):
    net, dataset = cold_split("DaRecLightGCN", darec_score="backbone")
    cold = dataset.token2id(dataset.iid_field, "99")
    net.eval()
    with torch.no_grad():
        before = net.scoring_view(*net.inference_view())[1][cold].clone()
        net.item_profile[cold] += 1.0
        assert torch.equal(net.scoring_view(*net.inference_view())[1][cold], before)


def test_profile_init_starts_the_tables_from_the_profiles_principal_directions(cold_split):
    plain, _ = cold_split("LightGCN")
    net, dataset = cold_split("LightGCN", profile_init="projection")
    users, items = dataset.profile_matrix("user").double(), dataset.profile_matrix("item").double()
    stacked = torch.cat([users[1:], items[[i for i in range(1, len(items)) if items[i].abs().sum() > 0]]])
    centred = stacked - stacked.mean(dim=0)
    directions = np.linalg.svd(centred.numpy(), full_matrices=False)[2][: net.latent_dim]
    projected = (users[1:] - stacked.mean(dim=0)).numpy() @ directions.T
    table = net.user_embedding.weight.detach().double().numpy()[1:]
    # 16-d test vectors span 16 of the 64 dimensions: the others start at zero
    assert projected.shape[1] == 16 and not table[:, 16:].any()
    # the same map up to one positive scale (and the sign of each direction, which an SVD does not fix)
    ratio = table[:, :16] / projected
    assert np.allclose(np.abs(ratio), np.abs(ratio).mean(), rtol=1e-4)
    assert table.std() == pytest.approx(plain.user_embedding.weight.detach().std().item(), rel=0.05)
    assert torch.equal(net.user_embedding.weight[0], plain.user_embedding.weight[0])  # [PAD] keeps its draw
    with pytest.raises(ConfigError, match="AlphaRec has no ID embeddings"):
        cold_split("AlphaRec", profile_init="projection")
    aligned, _ = cold_split("RLMRecConSGL", profile_init="projection")  # any model of the package
    assert not torch.equal(aligned.user_embedding.weight, cold_split("RLMRecConSGL")[0].user_embedding.weight)


def test_alpharec_loss_is_an_infonce_of_cosines_against_uniform_negatives(cold_split):
    net, dataset = cold_split("AlphaRec", alpharec_negatives=5, alpharec_temperature=0.2)
    history = dataset.inter_matrix(form="csr").toarray()
    items = dataset.profile_matrix("item")
    means = (
        torch.as_tensor(history, dtype=torch.float32) @ items / torch.as_tensor(history.sum(1)).clamp(min=1)[:, None]
    )
    assert torch.allclose(net.user_language, means.float(), atol=1e-5)  # users: the mean of their training items
    batch = {
        "user_id": torch.tensor([1, 2, 3]),
        "item_id": torch.tensor([4, 5, 6]),
        "neg_item_id": torch.tensor([7] * 3),
    }
    from recbole.data.interaction import Interaction

    interaction = Interaction(batch)
    net.train()
    torch.manual_seed(11)
    (loss,) = net.calculate_loss(interaction)
    torch.manual_seed(11)
    negatives = torch.randint(1, net.n_items, (3, 5))
    with torch.no_grad():
        user_all, item_all = net.forward(net.get_ego_embeddings())
        u, i = F.normalize(user_all, dim=1), F.normalize(item_all, dim=1)
        expected = 0.0
        for row in range(3):
            logits = (
                torch.cat(
                    [
                        u[batch["user_id"][row]] @ i[batch["item_id"][row]].unsqueeze(1),
                        i[negatives[row]] @ u[batch["user_id"][row]],
                    ]
                )
                / 0.2
            )
            expected += float(torch.logsumexp(logits, 0) - logits[0])
    assert loss.item() == pytest.approx(expected / 3, rel=1e-5)


@pytest.mark.parametrize("how", ["random_dims", "spaced_dims", "top_variance_dims"])
def test_llminit_selections_start_the_tables_from_chosen_coordinates_as_they_are(cold_split, how):
    net, dataset = cold_split("LightGCN", profile_init=how, embedding_size=8)
    users, items = dataset.profile_matrix("user").double(), dataset.profile_matrix("item").double()
    table = net.user_embedding.weight.detach().double()[1:]
    # each table column is one coordinate of the 16-d vectors, uncentred, all under one positive scale
    ratios = table[:, :, None] / users[1:, None, :]  # [users, 8 columns, 16 coordinates]
    chosen = [int((r.std(dim=0) / r.mean(dim=0).abs()).nan_to_num(float("inf")).argmin()) for r in ratios.unbind(1)]
    selected = users[1:, chosen]
    common = (table / selected).flatten()
    assert torch.allclose(common, common.mean(), rtol=1e-4) and common.mean() > 0
    assert chosen == sorted(set(chosen)) and len(chosen) == 8  # distinct, in order
    stacked = torch.cat([users[1:], items[items.abs().sum(dim=1) > 0]])
    if how == "spaced_dims":
        assert chosen == [0, 2, 4, 6, 9, 11, 13, 15]
    elif how == "top_variance_dims":
        assert chosen == sorted(stacked.var(dim=0).argsort(descending=True)[:8].tolist())
