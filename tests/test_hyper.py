"""RecBole's hyper-parameter search over this package's models (recbole_darec.hyper)."""

import pytest


@pytest.mark.slow
def test_recbole_hyper_parameter_search_runs_our_models(tmp_path, run_cli, write_random_embeddings):
    import shutil

    from recbole_darec.data.files import BUNDLED

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


def test_a_searched_key_on_the_command_line_is_an_error(tmp_path, capsys):
    from recbole_darec.hyper import main

    params = tmp_path / "grid.hyper"
    params.write_text("darec_glo_weight choice [0.0,0.01]\n")
    code = main(["--model=DaRecLightGCN", "--dataset=ml-100k", f"--params_file={params}", "--darec_glo_weight=0.1"])
    assert code == 2 and "--darec_glo_weight is searched in" in capsys.readouterr().err


def test_fixed_settings_reach_every_trial_under_the_searched_ones(monkeypatch, capsys):
    import recbole_darec.quick_start as quick_start
    from recbole_darec.hyper import objective_function

    seen = {}

    def fake_run(model, dataset, config_files, config_dict, saved=True):
        seen.update(config_dict)
        return {"best_valid_score": 0.1, "valid_score_bigger": True, "best_valid_result": {}, "test_result": {}}

    monkeypatch.setattr(quick_start, "run_recbole_darec", fake_run)
    objective_function(
        {"darec_glo_weight": 0.01},
        None,
        model="DaRecLightGCN",
        dataset="ml-100k",
        fixed={"epochs": 2, "learning_rate": 0.005},
    )
    assert seen["darec_glo_weight"] == 0.01 and seen["epochs"] == 2 and "params_file" not in seen
    # a quiet trial still shows its progress: its searched settings and validation score
    assert "trial {'darec_glo_weight': 0.01}: best valid 0.1000" in capsys.readouterr().err
