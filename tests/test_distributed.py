"""RecBole-style distributed training, on CPU processes with gloo."""

import pytest


@pytest.mark.slow
def test_two_process_gloo_training_reports_metrics(tmp_path, ml100k_profiles, copy_dataset, cli, parse_test_result):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    run = cli(
        "--model=DaRecLightGCN",
        "--dataset=ml-100k",
        "--epochs=1",
        "--nproc=2",
        "--port=29517",
        "--show_progress=False",
        f"--data_path={tmp_path / 'dataset'}",
        f"--checkpoint_dir={tmp_path / 'saved'}",
    )
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err[-3000:]
    assert parse_test_result(out)["recall@20"] > 0
