"""Full-sort evaluation batches sized from eval_memory_mb (recbole_darec/data/eval_batches.py)."""

import pytest
from recbole.model.general_recommender import EASE, ConvNCF, NeuMF

from recbole_darec.checks import ConfigError
from recbole_darec.data.eval_batches import BYTES_PER_SCORE, scores_pairs, size_full_sort_batches
from recbole_darec.model.lightgcn import LightGCN


def test_a_batch_holds_the_users_whose_scores_fit_the_budget():
    config = {"eval_memory_mb": 1.0, "eval_batch_size": 4096}
    assert size_full_sort_batches(config, 1000, LightGCN) == 2**20 // (BYTES_PER_SCORE * 1000) == 52
    assert config["eval_batch_size"] == 52 * 1000
    assert size_full_sort_batches(dict(config), 10**7, LightGCN) == 1  # catalogue over the budget: one user a batch
    kept = {"eval_memory_mb": None, "eval_batch_size": 4096}
    assert size_full_sort_batches(kept, 1000, LightGCN) is None and kept["eval_batch_size"] == 4096
    with pytest.raises(ConfigError, match="eval_memory_mb"):
        size_full_sort_batches({"eval_memory_mb": 0}, 1000, LightGCN)


def test_a_model_that_scores_pairs_keeps_recboles_chunks_of_pairs():
    """ConvNCF has no full_sort_predict: RecBole's trainer predicts eval_batch_size pairs a chunk, and a pair costs
    it far more than a score (a 256 MB budget sized a 20 GB chunk on ml-100k)."""
    assert scores_pairs(ConvNCF) and scores_pairs(NeuMF)
    assert not scores_pairs(EASE) and not scores_pairs(LightGCN)
    config = {"eval_memory_mb": 256.0, "eval_batch_size": 4096}
    assert size_full_sort_batches(config, 1000, ConvNCF) is None and config["eval_batch_size"] == 4096
    assert size_full_sort_batches(config, 1000, LightGCN) == 256 * 2**20 // (BYTES_PER_SCORE * 1000)


def test_the_metrics_are_the_same_at_any_batch_size(tmp_path, toy_profiled, base_config, copy_dataset):
    from recbole_darec.evaluate import rescore
    from recbole_darec.quick_start import run_recbole_darec

    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    model_file = run_recbole_darec("DaRecLightGCN", "toy", config_dict=base_config(tmp_path))["model_file"]
    results = [
        rescore(model_file, {"eval_memory_mb": budget}).result
        for budget in (0.001, 0.05, 256)  # one user a batch, a few, every user at once
    ]
    results.append(rescore(model_file, {"eval_memory_mb": None, "eval_batch_size": 90}).result)
    assert all(result == results[0] for result in results[1:])
