"""Re-scoring saved checkpoints under other evaluation settings (recbole_darec.evaluate)."""

import os

import pytest

from recbole_darec.checks import ConfigError


def test_rescoring_a_checkpoint_under_another_test_masking(trained_lightgcn, tmp_path, capsys):
    from recbole_darec.evaluate import main, rescore

    model_file = trained_lightgcn["model_file"]
    assert rescore(model_file, {}) == ("LightGCN", 2020, dict(trained_lightgcn["test_result"]))
    # RecBole's default masks train + valid items; masking train only lets validation items take ranks
    _, _, train_only = rescore(model_file, {"test_history": "train"})
    assert train_only["recall@20"] < trained_lightgcn["test_result"]["recall@20"]
    with pytest.raises(ConfigError, match="--learning_rate would change training"):
        rescore(model_file, {"learning_rate": 0.1})
    out = tmp_path / "rescored.csv"
    assert main([os.path.dirname(model_file), "--test_history=train", "--topk=[10,20]", f"--out={out}"]) == 0
    rows = out.read_text().splitlines()
    assert len(rows) == 2 and rows[0].startswith("model,seed,file,test_recall@10,test_recall@20,test_ndcg@10")
    assert f"{train_only['recall@20']}" in rows[1]
    assert (
        f"| LightGCN | 1 | **{train_only['recall@10']:.4f} ± 0.0000** | **{train_only['recall@20']:.4f} ± 0.0000** |"
        in capsys.readouterr().out
    )  # compare's leaderboard table
    assert main([str(tmp_path / "nothing-here")]) == 2
    assert main([os.path.dirname(model_file), "--baseline=SGL"]) == 2
