"""Representation diagnostics (recbole_darec.diagnostics) on hand-made tensors, and DaRec's training log."""

import numpy as np
import pytest
import torch

from recbole_darec.model.measures import (
    Reference,
    alignment_report,
    effective_rank,
    knn_overlap,
    linear_cka,
    mean_pairwise_cosine,
    recovered_share,
)


def test_collapse_measures_tell_a_collapsed_set_from_a_spread_one():
    g = torch.Generator().manual_seed(0)
    spread = torch.randn(300, 16, generator=g)
    collapsed = torch.ones(300, 16) + 1e-3 * torch.randn(300, 16, generator=g)
    assert abs(mean_pairwise_cosine(spread)) < 0.02 and mean_pairwise_cosine(collapsed) > 0.99
    assert effective_rank(spread) > 14 and effective_rank(collapsed) < 1.1
    two = torch.zeros(10, 3)
    two[:5, 0], two[5:, 1] = 1.0, 1.0
    assert mean_pairwise_cosine(two) == pytest.approx(4 * 5 * 2 / (10 * 9))  # only same-group pairs count


def test_similarity_measures_see_rotations_and_not_noise():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(200, 8, generator=g)
    rotation = torch.linalg.qr(torch.randn(8, 8, generator=g))[0]
    assert linear_cka(x, x @ rotation) == pytest.approx(1.0, abs=1e-5)
    assert knn_overlap(x, 3.0 * x) == 1.0
    other = torch.randn(200, 8, generator=g)
    assert linear_cka(x, other) < 0.2 and knn_overlap(x, other) < 0.3


def written_out_shares(x, y, k):
    """Each row's share of its k nearest other rows (cosine) that x and y have in common, by a plain loop."""
    shares = []
    for i in range(len(x)):
        near = [
            set(
                sorted(
                    (j for j in range(len(x)) if j != i), key=lambda j: -float(torch.cosine_similarity(z[i], z[j], 0))
                )[:k]
            )
            for z in (x, y)
        ]
        shares.append(len(near[0] & near[1]) / k)
    return shares


def test_knn_overlap_in_row_chunks_matches_a_written_out_count():
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(50, 6, generator=g), torch.randn(50, 6, generator=g)
    shares = written_out_shares(x, y, k=5)
    assert knn_overlap(x, y, k=5, chunk=7) == pytest.approx(np.mean(shares))
    assert knn_overlap(x, y, k=5, chunk=7) == knn_overlap(x, y, k=5)
    # the first 12 rows ask, all 50 answer: the mean of those rows' shares, in any chunking
    assert knn_overlap(x, y, k=5, chunk=7, queries=12) == pytest.approx(np.mean(shares[:12]))
    assert knn_overlap(x, y, k=5, queries=12) == knn_overlap(x, y, k=5, chunk=5, queries=12)
    assert knn_overlap(x, y, k=5, queries=500) == knn_overlap(x, y, k=5)


def test_a_prepared_reference_gives_the_figures_computed_from_scratch():
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(60, 6, generator=g), torch.randn(60, 24, generator=g) + 0.5
    reference = Reference(y, k=5, chunk=7, queries=20)
    assert reference.cka(x) == pytest.approx(linear_cka(x, y), rel=1e-5)
    assert reference.knn_overlap(x) == pytest.approx(np.mean(written_out_shares(x, y, k=5)[:20]))
    assert alignment_report(x, Reference(y, queries=20)) == alignment_report(x, y, knn_queries=20)


def test_darec_logs_its_diagnostics_during_training(tmp_path, ml100k_profiles, build):
    _, _, model, train, _, _ = build(
        tmp_path, ml100k_profiles, "DaRecLightGCN", darec_diagnostics_interval=1, darec_cluster_sample=300
    )
    model.train()
    model.calculate_loss(next(iter(train)))
    figures = model.alignment.diagnostics
    assert {"users_shared_cka", "items_cf_profile_knn20", "users_specific_llm_erank"} <= set(figures)
    assert all(isinstance(v, float) for v in figures.values())
    # the log follows the same 300 nodes of each side, their profile side prepared once
    samples = dict(model.alignment._diagnostic_samples)
    model.calculate_loss(next(iter(train)))
    assert all(model.alignment._diagnostic_samples[side][1] is samples[side][1] for side in (0, 1))
    assert [len(nodes) for nodes, _ in samples.values()] == [300, 300]


def test_warm_and_cold_item_groups_by_hand():
    """Users 1 and 2 ranked [5, 3, 7] and [4, 6, 3]; item 7 and 6 are cold (no training interaction)."""
    from recbole.evaluator.register import metrics_dict

    from recbole_darec.grouped_evaluation import item_history_groups

    config = {"topk": [1, 3], "metric_decimal_place": 4}
    metrics = {name: metrics_dict[name](config) for name in ("recall", "ndcg")}
    train_counts = np.array([0, 2, 2, 1, 3, 1, 0, 0])  # items 0-7; 6 and 7 never trained on
    groups = item_history_groups(
        rec_items=np.array([[5, 3, 7], [4, 6, 3]]),
        users=np.array([1, 2]),
        test_users=np.array([1, 1, 1, 2]),
        test_items=np.array([3, 7, 1, 6]),
        train_item_counts=train_counts,
        metric_classes=metrics,
        topk=[1, 3],
    )
    warm, cold = groups
    assert (warm["group"], warm["users"], warm["test_interactions"]) == ("warm items", 1, 2)
    assert (cold["group"], cold["users"], cold["test_interactions"]) == ("cold items", 2, 2)
    # warm: user 1 has items 3 and 1 relevant, 3 at rank 2: recall@3 = 1/2; user 2 has no warm test item
    assert warm["recall@1"] == 0.0 and warm["recall@3"] == 0.5
    assert warm["ndcg@3"] == pytest.approx(round((1 / np.log2(3)) / (1 + 1 / np.log2(3)), 4))
    # cold: user 1's item 7 at rank 3, user 2's item 6 at rank 2: recall@3 = 1 for both
    assert cold["recall@3"] == 1.0 and cold["recall@1"] == 0.0
    assert cold["ndcg@3"] == pytest.approx(round((1 / np.log2(4) + 1 / np.log2(3)) / 2, 4))
    none = item_history_groups(
        np.array([[1]]), np.array([1]), np.array([1]), np.array([1]), train_counts, metrics, [1]
    )[1]
    assert none == {"group": "cold items", "users": 0, "test_interactions": 0}


def test_user_groups_take_every_top_k_metric_of_the_leaderboards():
    """Hit, MRR and Precision read only the hits, Recall and NDCG the positives' count too (RecBole-GNN's ML-1M
    leaderboard asks for all five): user 1 ranks hits at 1 and 3 of 2 positives, user 2 none of 1."""
    import torch
    from recbole.evaluator.register import metrics_dict

    from recbole_darec.grouped_evaluation import user_activity_groups

    config = {"topk": [1, 3], "metric_decimal_place": 4}
    metrics = {name: metrics_dict[name](config) for name in ("recall", "mrr", "ndcg", "hit", "precision")}
    rec_topk = torch.tensor([[1, 0, 1, 2], [0, 0, 0, 1]])  # hits in the top 3, then the number of positives
    active, quiet = user_activity_groups(rec_topk, [1, 2], np.array([0, 1, 9]), metrics, [1, 3])
    assert (active["users"], quiet["users"]) == (1, 1)
    assert (active["hit@1"], active["mrr@3"], active["precision@3"], active["recall@3"]) == (1.0, 1.0, 0.6667, 1.0)
    assert all(quiet[f"{name}@3"] == 0.0 for name in metrics)


def test_recovered_share_is_the_out_of_sample_variance_a_linear_map_predicts():
    generator = torch.Generator().manual_seed(3)
    target = torch.randn(2000, 8, generator=generator)
    mixed = torch.cat(
        [target @ torch.randn(8, 8, generator=generator) + 5.0, torch.randn(2000, 24, generator=generator)], 1
    )
    assert recovered_share(mixed, target) == pytest.approx(1.0, abs=1e-9)  # any invertible map of it, plus noise
    assert recovered_share(mixed[:, :8][:, :4], target) == pytest.approx(0.5, abs=0.05)  # half its dimensions
    assert abs(recovered_share(torch.randn(2000, 32, generator=generator), target)) < 0.05  # out of sample: no gain
