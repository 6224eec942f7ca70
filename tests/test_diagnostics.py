"""Representation diagnostics (recbole_darec.diagnostics) on hand-made tensors, and DaRec's training log."""

import pytest
import torch

from recbole_darec.diagnostics import effective_rank, knn_overlap, linear_cka, mean_pairwise_cosine


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


def test_knn_overlap_in_row_chunks_matches_a_written_out_count():
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(50, 6, generator=g), torch.randn(50, 6, generator=g)
    k, shared = 5, 0
    for i in range(50):  # each row's k nearest other rows by cosine, in both representations
        near = [
            set(
                sorted((j for j in range(50) if j != i), key=lambda j: -float(torch.cosine_similarity(z[i], z[j], 0)))[
                    :k
                ]
            )
            for z in (x, y)
        ]
        shared += len(near[0] & near[1])
    assert knn_overlap(x, y, k=k, chunk=7) == pytest.approx(shared / (50 * k))
    assert knn_overlap(x, y, k=k, chunk=7) == knn_overlap(x, y, k=k)


def test_darec_logs_its_diagnostics_during_training(tmp_path, ml100k_profiles, build):
    _, _, model, train, _, _ = build(tmp_path, ml100k_profiles, "DaRecLightGCN", darec_diagnostics_interval=1)
    model.train()
    model.calculate_loss(next(iter(train)))
    figures = model.alignment.diagnostics
    assert {"users_shared_cka", "items_cf_profile_knn20", "users_specific_llm_erank"} <= set(figures)
    assert all(isinstance(v, float) for v in figures.values())
