"""The backbones' options: defaults reproduce RecBole, RLMRec's forms where they differ."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recbole_darec.config import Config, ConfigError
from recbole_darec.prepare import prepare_dataset_files
from recbole_darec.quick_start import _build


def test_lightgcn_rlmrec_options(tmp_path, base_config):
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
    assert dropped.training_graph().nnz() < 0.85 * dropped.norm_adj_matrix.nnz()
    dropped.eval()
    assert dropped.training_graph() is dropped.norm_adj_matrix  # evaluation always sees every edge
    with pytest.raises(ConfigError, match="edge_keep_rate"):
        model_with(edge_keep_rate=1.5)


@pytest.fixture
def model_with(tmp_path, base_config):
    """``model_with(model, **options)``: (a freshly seeded model on ml-100k, (config, training dataset), a batch)."""

    def model_with(model, **options):
        config = Config(model=model, dataset="ml-100k", config_dict=base_config(tmp_path, **options))
        prepare_dataset_files(config)
        _, net, train, _, _ = _build(config)
        return net, (config, train._dataset), next(iter(train))

    return model_with


def test_lightgcn_without_the_ego_layer_and_with_l2_on_all_parameters(model_with):
    plain, _, batch = model_with("LightGCN")
    no_ego, _, _ = model_with("LightGCN", combine_ego_layer=False, layer_combination="sum")
    plain.eval(), no_ego.eval()
    layer_1 = torch.sparse.mm(plain.norm_adj_matrix.matrix, plain.get_ego_embeddings())
    layer_2 = torch.sparse.mm(plain.norm_adj_matrix.matrix, layer_1)
    assert torch.allclose(torch.cat(no_ego.forward()), layer_1 + layer_2, atol=1e-6)
    everything, _, _ = model_with("LightGCN", l2_scope="all", reg_weight=1.0)
    with torch.no_grad():
        user_all, item_all = everything.forward()
        users, pos, neg = batch["user_id"], batch["item_id"], batch["neg_item_id"]
        bpr = everything.mf_loss((user_all[users] * item_all[pos]).sum(1), (user_all[users] * item_all[neg]).sum(1))
        squares = sum(p.pow(2).sum() for p in everything.parameters())
        assert torch.allclose(everything.bpr_and_l2(batch, user_all, item_all), bpr + squares)


def test_sgl_defaults_reproduce_recboles_sgl(model_with):
    """Our SGL at its defaults is RecBole's: the same loss and scores up to float32 summation order. (Bit for bit
    on some CPUs; on others MKL's CSR product, which we propagate with, and the COO product RecBole uses sum in
    another order: AMD EPYC, 2026-12-03, differed in the last bit of a few scores.)"""
    from recbole.model.general_recommender import SGL as RecBoleSGL

    ours, (config, dataset), batch = model_with("SGL")
    theirs = RecBoleSGL(config, dataset)
    theirs.load_state_dict(ours.state_dict())
    for net in (ours, theirs):
        np.random.seed(7)  # train() draws the epoch's two subgraphs
        net.train()
    torch.testing.assert_close(sum(ours.calculate_loss(batch)), theirs.calculate_loss(batch), rtol=1e-6, atol=0)
    ours.eval(), theirs.eval()
    scores, reference = ours.full_sort_predict(batch), theirs.full_sort_predict(batch).view(-1)  # flat
    torch.testing.assert_close(scores, reference, rtol=1e-5, atol=1e-9)


def test_sgl_rlmrec_forms(model_with):
    per_step, _, batch = model_with(
        "SGL", ssl_views="edge_dropout_per_step", ssl_items="positive_negative", layer_combination="sum"
    )
    per_step.train()
    graph_1, graph_2 = per_step.ssl_graphs()
    keep = 1 - per_step.drop_ratio
    assert abs(graph_1.nnz() / per_step.train_graph.nnz() - keep) < 0.01 and graph_1.nnz() != graph_2.nnz()
    torch.manual_seed(0)
    terms = per_step.calculate_loss(batch)
    assert len(terms) == 3 and all(torch.isfinite(t) for t in terms)  # BPR + L2, SSL (users, positives), negatives
    torch.manual_seed(0)
    again = per_step.calculate_loss(batch)
    torch.manual_seed(1)
    other = per_step.calculate_loss(batch)
    assert torch.equal(terms[1], again[1]) and not torch.equal(terms[1], other[1])  # new views at every step
    per_step.eval()
    layers = [per_step.get_ego_embeddings()]
    for _ in range(per_step.n_layers):
        layers.append(torch.sparse.mm(per_step.train_graph.matrix, layers[-1]))
    assert torch.allclose(torch.cat(per_step.forward(per_step.train_graph)), sum(layers), atol=1e-6)


def test_simgcl_views_share_one_graph_per_step_and_follow_the_layer_options(model_with, monkeypatch):
    model, _, batch = model_with("SimGCL", edge_keep_rate=0.8, combine_ego_layer=True, layer_combination="sum")
    model.train()
    drawn = []
    original = model.training_graph
    monkeypatch.setattr(model, "training_graph", lambda: drawn.append(1) or original())
    model.calculate_loss(batch)
    assert len(drawn) == 1  # clean view and both perturbed views propagate over the same edges
    model.eval()
    layers = [model.get_ego_embeddings()]
    for _ in range(model.n_layers):
        layers.append(torch.sparse.mm(model.norm_adj_matrix.matrix, layers[-1]))
    assert torch.allclose(torch.cat(model.forward()), sum(layers), atol=1e-6)


def _info_nce_by_hand(anchors, candidates, positives, temperature):
    """Mean over rows of -log softmax(cosine / t)[positive], written out."""
    a = anchors / anchors.norm(dim=1, keepdim=True)
    c = candidates / candidates.norm(dim=1, keepdim=True)
    logits = a @ c.T / temperature
    return (logits.exp().sum(dim=1).log() - logits[torch.arange(len(a)), positives]).mean()


@pytest.mark.parametrize("rows, negatives", [("unique", "batch"), ("batch", "all")])
def test_simgcl_contrastive_forms_match_a_hand_computation(model_with, monkeypatch, rows, negatives):
    model, _, batch = model_with("SimGCL", cl_rows=rows, cl_negatives=negatives)
    g = torch.Generator().manual_seed(4)
    views = [(torch.randn(model.n_users, 8, generator=g), torch.randn(model.n_items, 8, generator=g)) for _ in "12"]
    monkeypatch.setattr(model, "forward", lambda **kwargs: views.pop(0))
    (user_1, item_1), (user_2, item_2) = views
    loss = model.contrastive_loss(batch, None)
    t = model.cl_temperature

    def expected(first, second, ids):
        if negatives == "all":
            return _info_nce_by_hand(first[ids], second, ids, t)
        return _info_nce_by_hand(first[ids], second[ids], torch.arange(len(ids)), t)

    users, items = batch["user_id"], batch["item_id"]
    if rows == "unique":
        users, items = torch.unique(users), torch.unique(items)
    assert torch.allclose(loss, expected(user_1, user_2, users) + expected(item_1, item_2, items), atol=1e-5)


@pytest.mark.parametrize("rows", ["unique", "rlmrec"])
def test_rlmrec_con_row_forms_match_a_hand_computation(rows):
    from recbole_darec.model.rlmrec import RLMRecConAlignment

    config = {"rlmrec_con_weight": 0.5, "rlmrec_temperature": 0.2, "rlmrec_con_rows": rows}
    alignment = RLMRecConAlignment(config, cf_dim=4, llm_dim=6, n_users=5, n_items=7)
    generator = torch.Generator().manual_seed(0)
    user_all, item_all = torch.randn(5, 4, generator=generator), torch.randn(7, 4, generator=generator)
    user_profile, item_profile = torch.randn(5, 6, generator=generator), torch.randn(7, 6, generator=generator)
    users, pos, neg = torch.tensor([1, 1, 3]), torch.tensor([2, 4, 2]), torch.tensor([5, 6, 4])
    with torch.no_grad():
        loss = alignment.extra_loss_terms(users, pos, neg, user_all, item_all, user_profile, item_profile)["rlmrec_con"]
        project = alignment.projector
        t = 0.2
        if rows == "rlmrec":  # every row; users against all users' profiles; positive and negative items apart
            expected = (
                _info_nce_by_hand(user_all[users], project(user_profile), users, t)
                + _info_nce_by_hand(item_all[pos], project(item_profile[pos]), torch.arange(3), t)
                + _info_nce_by_hand(item_all[neg], project(item_profile[neg]), torch.arange(3), t)
            )
        else:  # distinct users against each other; distinct positive and negative items pooled
            u, i = torch.tensor([1, 3]), torch.tensor([2, 4, 5, 6])
            expected = _info_nce_by_hand(user_all[u], project(user_profile[u]), torch.arange(2), t) + _info_nce_by_hand(
                item_all[i], project(item_profile[i]), torch.arange(4), t
            )
    assert loss.item() == pytest.approx(0.5 * expected.item(), rel=1e-5)


@pytest.mark.parametrize("init", ["zero", "xavier"])
def test_rlmrec_gen_mask_token_replaces_the_masked_nodes(init):
    from recbole_darec.model.rlmrec import RLMRecGenAlignment

    config = {
        "rlmrec_gen_weight": 0.01,
        "rlmrec_temperature": 0.2,
        "rlmrec_mask_ratio": 0.25,
        "rlmrec_max_masked": 4096,
        "rlmrec_mask_token_init": init,
    }
    alignment = RLMRecGenAlignment(config, cf_dim=4, llm_dim=6, n_users=6, n_items=6)
    ego = torch.randn(12, 4)
    masked_ego = alignment.main_view_ego(ego)
    masked = alignment._masked
    assert len(masked) == 3 and torch.equal(masked_ego[masked], alignment.mask_token.expand(3, -1).detach())
    kept = torch.ones(12, dtype=torch.bool)
    kept[masked] = False
    assert torch.equal(masked_ego[kept], ego[kept])
    assert (alignment.mask_token.abs().sum() == 0) == (init == "zero")


def test_rlmrec_gen_reconstructs_the_masked_nodes_profiles():
    """The loss of a step is InfoNCE of the decoded outputs of the nodes its main_view_ego masked (users then
    items, one id space) against those nodes' profile vectors, among the masked nodes only."""
    from recbole_darec.model.rlmrec import RLMRecGenAlignment

    config = {
        "rlmrec_gen_weight": 0.3,
        "rlmrec_temperature": 0.2,
        "rlmrec_mask_ratio": 0.5,
        "rlmrec_max_masked": 4,
        "rlmrec_mask_token_init": "zero",
    }
    alignment = RLMRecGenAlignment(config, cf_dim=4, llm_dim=6, n_users=5, n_items=7)
    g = torch.Generator().manual_seed(3)
    user_all, item_all = torch.randn(5, 4, generator=g), torch.randn(7, 4, generator=g)
    user_profile, item_profile = torch.randn(5, 6, generator=g), torch.randn(7, 6, generator=g)
    alignment.main_view_ego(torch.randn(12, 4, generator=g))
    masked = alignment._masked
    assert len(masked) == 4  # half of 12 nodes, capped at rlmrec_max_masked
    ids = torch.tensor([1]), torch.tensor([2]), torch.tensor([3])  # the batch does not choose the nodes
    with torch.no_grad():
        loss = alignment.extra_loss_terms(*ids, user_all, item_all, user_profile, item_profile)["rlmrec_gen"]
        outputs, profiles = torch.cat([user_all, item_all])[masked], torch.cat([user_profile, item_profile])[masked]
        expected = _info_nce_by_hand(alignment.decoder(outputs), profiles, torch.arange(4), 0.2)
    assert loss.item() == pytest.approx(0.3 * expected.item(), rel=1e-5)
    assert alignment._masked is None  # one reconstruction per masking


def test_darec_wires_each_part_into_its_own_term(darec_settings, cosine_gram):
    """Each term of DaRecAlignment.loss from the heads' parts by hand: which side (CF / LLM), which part
    (shared / specific) and which nodes (users / items) go where, each times its own weight."""
    from recbole_darec.model.darec import DaRecAlignment
    from recbole_darec.model.losses import uniformity

    alignment = DaRecAlignment(darec_settings(), cf_dim=4, llm_dim=6, n_users=8, n_items=9)
    g = torch.Generator().manual_seed(4)
    user_all, item_all = torch.randn(8, 4, generator=g), torch.randn(9, 4, generator=g)
    user_profile, item_profile = torch.randn(8, 6, generator=g), torch.randn(9, 6, generator=g)
    users, pos, neg = torch.tensor([5, 2, 5, 7]), torch.tensor([1, 3, 1, 3]), torch.tensor([8, 3, 8, 1])
    with torch.no_grad():
        terms = alignment.extra_loss_terms(users, pos, neg, user_all, item_all, user_profile, item_profile)
        u, i = torch.tensor([2, 5, 7]), torch.tensor([1, 3, 8])  # the distinct users and items, 3 each
        parts = {}  # parts[(side, kind)] = (shared, specific) of users and of items, unit rows
        for side, heads, (user_rows, item_rows) in (
            ("cf", alignment.cf_heads, (user_all[u], item_all[i])),
            ("llm", alignment.llm_heads, (user_profile[u], item_profile[i])),
        ):
            for kind, rows in (("users", user_rows), ("items", item_rows)):
                shared, specific = heads(rows)
                parts[(side, kind)] = F.normalize(shared, dim=1), F.normalize(specific, dim=1)
        expected = {"or": 0.0, "uni": 0.0, "glo": 0.0}
        for kind in ("users", "items"):
            for side in ("cf", "llm"):
                shared, specific = parts[(side, kind)]
                expected["or"] += float((shared * specific).sum(dim=1).pow(2).mean())
                expected["uni"] += float(uniformity(cosine_gram(specific)))
            cf_shared, llm_shared = parts[("cf", kind)][0], parts[("llm", kind)][0]
            expected["glo"] += float(similarity_structure_by_hand(cosine_gram(cf_shared), cosine_gram(llm_shared), 0.5))
        shared = {side: torch.stack([parts[(side, k)][0] for k in ("users", "items")]) for side in ("cf", "llm")}
        expected["loc"] = float(alignment.centers.loss(shared["cf"], shared["llm"]))  # the centers of this step
    assert set(terms) == {"darec_or", "darec_uni", "darec_glo", "darec_loc"}
    for name, weight in (("or", 0.1), ("uni", 0.2), ("glo", 0.3), ("loc", 0.4)):
        assert terms[f"darec_{name}"].item() == pytest.approx(weight * expected[name], rel=1e-5), name
    assert alignment.step == 1 and alignment.get_extra_state() == {"step": 1}


def similarity_structure_by_hand(gram_cf, gram_llm, t):
    """KL of the LLM side's neighbour distribution to the CF side's, written out row by row."""
    n, total = len(gram_cf), 0.0
    for i in range(n):
        others = [j for j in range(n) if j != i]
        p_cf = (gram_cf[i, others] / t).softmax(dim=0)
        p_llm = (gram_llm[i, others] / t).softmax(dim=0)
        total += float((p_llm * (p_llm / p_cf).log()).sum())
    return total / n


def test_darec_step_counter_is_saved_and_restored_with_the_state(darec_settings):
    from recbole_darec.model.darec import DaRecAlignment

    alignment = DaRecAlignment(darec_settings(), cf_dim=4, llm_dim=6, n_users=8, n_items=9)
    state = alignment.state_dict()
    assert state.pop("_extra_state") == {"step": 0}
    alignment.load_state_dict({**state, "_extra_state": {"step": 5}})
    assert alignment.step == 5
