"""Re-scoring saved checkpoints under other evaluation settings (recbole_darec.evaluate)."""

import os

import pytest
import torch

from recbole_darec.checks import ConfigError


def test_rescoring_a_checkpoint_under_another_test_masking(trained_lightgcn, tmp_path, capsys):
    from recbole_darec.evaluate import main, rescore

    model_file = trained_lightgcn["model_file"]
    rescored = rescore(model_file, {})
    assert rescored[:4] == ("LightGCN", 2020, "recall@20", dict(trained_lightgcn["test_result"]))
    assert rescored.alignment == {}
    # RecBole's default masks train + valid items; masking train only lets validation items take ranks
    train_only = rescore(model_file, {"test_history": "train"}).result
    assert train_only["recall@20"] < trained_lightgcn["test_result"]["recall@20"]
    with pytest.raises(ConfigError, match="--learning_rate would change training"):
        rescore(model_file, {"learning_rate": 0.1})
    out = tmp_path / "rescored.csv"
    assert main([os.path.dirname(model_file), "--test_history=train", "--topk=[10,20]", f"--out={out}"]) == 0
    rows = out.read_text().splitlines()
    assert len(rows) == 2 and rows[0].startswith("model,seed,file,valid_metric,test_recall@10,test_recall@20")
    assert f"{train_only['recall@20']}" in rows[1]
    assert (
        f"| LightGCN | 1 | **{train_only['recall@10']:.4f}** | **{train_only['recall@20']:.4f}** |"
        in capsys.readouterr().out
    )  # compare's leaderboard table
    assert main([str(tmp_path / "nothing-here")]) == 2
    assert main([os.path.dirname(model_file), "--baseline=SGL"]) == 2


def test_a_named_folder_reports_its_checkpoints_under_that_name(trained_lightgcn, tmp_path, capsys):
    """Variants of one class (a benchmark's DaRec-fused folder) side by side: ``folder=Name`` names their rows."""
    import shutil

    from recbole_darec.evaluate import main

    variant = tmp_path / "LightGCN-variant"
    variant.mkdir()
    shutil.copy(trained_lightgcn["model_file"], variant)
    out = tmp_path / "named.csv"
    model_dir = os.path.dirname(trained_lightgcn["model_file"])
    assert main([model_dir, f"{variant}=LightGCN-variant", f"--out={out}", "--threads=1"]) == 0
    printed = capsys.readouterr().out
    assert "| LightGCN | 1 |" in printed and "| LightGCN-variant | 1 |" in printed
    assert sorted(line.split(",")[0] for line in out.read_text().splitlines()[1:]) == ["LightGCN", "LightGCN-variant"]
    assert main([f"{tmp_path / 'nothing-here'}=Name"]) == 2  # a named path must exist too


def test_metrics_by_user_activity_add_up_to_the_overall_metrics(trained_lightgcn, tmp_path, capsys):
    from recbole_darec.evaluate import main

    groups = trained_lightgcn["test_groups"]["users"]
    assert [g["group"][:2] for g in groups] == ["Q1", "Q2", "Q3", "Q4"]
    warm, cold = trained_lightgcn["test_groups"]["items"]
    total = sum(g["test_interactions"] for g in groups)
    assert warm["test_interactions"] + cold["test_interactions"] == total and cold["test_interactions"] < total
    users = sum(g["users"] for g in groups)
    for metric in ("recall@20", "ndcg@10"):
        pooled = sum(g[metric] * g["users"] for g in groups) / users  # RecBole averages over users
        assert pooled == pytest.approx(trained_lightgcn["test_result"][metric], abs=2e-4)
    lows = [int(g["group"].split("(")[1].split("-")[0]) for g in groups]
    assert lows == sorted(lows)  # from the least to the most active users
    out = tmp_path / "groups.csv"
    model_dir = os.path.dirname(trained_lightgcn["model_file"])
    assert main([model_dir, "--groups=all", f"--out={out}"]) == 0
    printed = capsys.readouterr().out
    assert "by quartile of users' training interactions" in printed and "| Q4 (" in printed
    assert "group4_recall@20" in out.read_text().splitlines()[0] and "cold_items_test_interactions" in out.read_text()
    assert "on warm items (a training interaction) and cold items (none)" in printed and "| cold items |" in printed
    for kind, shown, hidden in (("user_activity", "| Q4 (", "| cold items |"), ("items", "| cold items |", "| Q4 (")):
        assert main([model_dir, f"--groups={kind}", f"--out={out}"]) == 0
        printed = capsys.readouterr().out
        assert shown in printed and hidden not in printed


def test_profile_vectors_follow_the_datasets_internal_ids(tmp_path, toy_profiled, config_for, copy_dataset):
    """The vectors evaluate --alignment reads for any model are the rows an aligned model trains with."""
    from recbole_darec.data import create_dataset
    from recbole_darec.profiles import profile_vectors

    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    dataset = create_dataset(config_for(tmp_path, dataset="toy", model="DaRecLightGCN"))
    for kind in ("user", "item"):
        vectors = profile_vectors(dataset, kind)
        assert torch.allclose(vectors, dataset.profile_matrix(kind)) and not vectors[0].any()


def test_scoring_alignment_of_any_checkpoint(tmp_path, toy_profiled, base_config, copy_dataset, capsys):
    from recbole_darec.evaluate import main, rescore
    from recbole_darec.quick_start import run_recbole_darec

    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    model_file = run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path))["model_file"]
    figures = rescore(model_file, {}, alignment=True).alignment
    assert sorted(figures) == [
        f"align_{kind}_cf_profile_{key}" for kind in ("item", "user") for key in ("cka", "knn20")
    ]
    assert all(0 <= value <= 1 for value in figures.values())
    out = tmp_path / "aligned.csv"
    assert main([model_file, model_file, "--alignment", f"--out={out}"]) == 0
    printed = capsys.readouterr()
    assert "Scoring embeddings against the profile vectors" in printed.out
    assert "2 checkpoints are LightGCN with seed 2020" in printed.err
    # two different trials of one seed: every table keeps one of them, as the note says, not their spread
    other_config = base_config(tmp_path, learning_rate=0.05, valid_metric="NDCG@10", checkpoint_dir=str(tmp_path / "o"))
    other_file = run_recbole_darec("LightGCN", "toy", config_dict=other_config)["model_file"]
    other = rescore(other_file, {}, alignment=True).alignment
    assert other != figures
    assert main([model_file, other_file, "--alignment"]) == 0
    alignment_row = capsys.readouterr().out.split("Scoring embeddings against the profile vectors")[1]
    kept = [
        " | ".join(f"{trial[f'align_{k}']:.3f}" for k in ("user_cf_profile_cka", "user_cf_profile_knn20"))
        for trial in (figures, other)
    ]
    assert sum(row in alignment_row for row in kept) == 1
    assert main([other_file]) == 0
    # no --main_metric: the run's own valid_metric
    assert "on test_ndcg@10, over the seeds both finished" in capsys.readouterr().out
    assert "align_user_cf_profile_knn20" in out.read_text().splitlines()[0]
    os.remove(tmp_path / "dataset" / "toy" / "toy.itememb")
    assert main([model_file, "--alignment"]) == 2
    assert "toy.itememb: no item profile vectors" in capsys.readouterr().err


def test_profile_vectors_give_zero_rows_where_the_dataset_allows_missing_vectors(
    tmp_path, toy_profiled, config_for, copy_dataset
):
    """DBbook's untitled cold books have no vector: evaluate --alignment reads them as the model did, as zeros."""
    from recbole_darec.data import create_dataset
    from recbole_darec.profiles import ProfileError, profile_vectors

    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    vectors = tmp_path / "dataset" / "toy" / "toy.itememb"
    lines = vectors.read_text().splitlines()
    vectors.write_text("\n".join(line for line in lines if not line.startswith("7\t")) + "\n")  # item 7 loses its own
    allowed = create_dataset(config_for(tmp_path, dataset="toy", model="DaRecLightGCN", profile_allow_missing=True))
    read = profile_vectors(allowed, "item")
    assert torch.allclose(read, allowed.profile_matrix("item"))
    assert not read[allowed.token2id(allowed.iid_field, "7")].any()
    strict = create_dataset(config_for(tmp_path, dataset="toy", model="LightGCN"))  # reads no vectors itself
    with pytest.raises(ProfileError, match=r"no vector for 1 item\(s\) of the dataset \(e.g. 7\)"):
        profile_vectors(strict, "item")


def test_truth_recovery_of_a_synthetic_dataset_and_a_clear_refusal_elsewhere(
    tmp_path, toy_profiled, base_config, copy_dataset, capsys
):
    """evaluate --truth: the share of each true latent part a model's scoring embeddings (and DaRec's heads) hold."""
    from recbole_darec.evaluate import main, rescore
    from recbole_darec.quick_start import run_recbole_darec
    from recbole_darec.synthetic import write_dataset

    write_dataset("sim", str(tmp_path / "dataset"), {"users": 200, "items": 150, "density": 0.06, "profile_dim": 48})
    darec = run_recbole_darec("DaRecLightGCN", "sim", config_dict=base_config(tmp_path))["model_file"]
    figures = rescore(darec, {}, truth=True).alignment
    parts = [f"score_{part}" for part in ("shared", "cf", "llm")] + [
        "cf_head_shared",
        "llm_head_shared",
        "llm_head_llm",
    ]
    assert sorted(figures) == sorted(f"truth_{side}_{part}" for side in ("user", "item") for part in parts)
    assert all(value <= 1 for value in figures.values())
    # the LLM shared head reads the profile vectors, which hold the true shared and LLM-specific factors linearly
    assert max(figures["truth_item_llm_head_shared"], figures["truth_item_llm_head_llm"]) > 0.3
    assert main([darec, "--truth"]) == 0
    assert "Share of each true latent part the model holds" in capsys.readouterr().out
    copy_dataset(toy_profiled, tmp_path / "dataset", name="toy")
    plain = run_recbole_darec("LightGCN", "toy", config_dict=base_config(tmp_path))["model_file"]
    assert main([plain, "--truth"]) == 2
    assert "toy.truth: no ground truth" in capsys.readouterr().err
