"""RecBole's hyper-parameter search over this package's models (recbole_darec.hyper)."""

import pytest


@pytest.mark.slow
def test_recbole_hyper_parameter_search_runs_our_models(tmp_path, run_cli, write_random_embeddings):
    import shutil

    from recbole_darec.data import BUNDLED

    folder = tmp_path / "dataset" / "ml-100k"
    shutil.copytree(BUNDLED["ml-100k"], folder)
    write_random_embeddings(folder, "ml-100k", "user", range(1, 944))  # user-supplied vectors: no encoding
    write_random_embeddings(folder, "ml-100k", "item", range(1, 1683))
    params = tmp_path / "grid.hyper"
    params.write_text("darec_glo_weight choice [0.0,0.01]\n")
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(
        f"epochs: 1\ndata_path: {tmp_path / 'dataset'}\ncheckpoint_dir: {tmp_path / 'saved'}\nshow_progress: False\n"
    )
    report = tmp_path / "search.md"
    result = run_cli(
        "-m",
        "recbole_darec.hyper",
        "--model=DaRecLightGCN",
        "--dataset=ml-100k",
        f"--params_file={params}",
        f"--config_files={fixed}",
        f"--output_file={report}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = report.read_text()
    assert "darec_glo_weight:0.0" in text and "darec_glo_weight:0.01" in text and "best params" in text
