"""The profile-robustness report: entries placed by their settings, drops and paired tests computed from rows."""

import csv
import os

import pytest

from recbole_darec.robustness_report import main, place

SUITE = """seeds: 3
datasets:
  toy:
    backbones:
      LightGCN:
        models:
          - LightGCN
          - RLMRecConLightGCN
          - DaRecLightGCN
          - {name: RLMRecCon-shuffle-0.5, model: RLMRecConLightGCN, settings: {profile_corruption_fraction: 0.5}}
          - {name: DaRec-shuffle-0.5, model: DaRecLightGCN, settings: {profile_corruption_fraction: 0.5}}
          - {name: DaRec-noise-0.5, model: DaRecLightGCN,
             settings: {profile_corruption_fraction: 0.5, profile_corruption_kind: noise}}
          - {name: DaRec-global-x4, model: DaRecLightGCN, settings: {darec_glo_weight: 0.04}}
"""
# test recall@20 per seed; ndcg@20 is half of it, validation the same as test
RECALL = {
    "LightGCN": [0.100, 0.102, 0.101],
    "RLMRecConLightGCN": [0.110, 0.111, 0.113],
    "DaRecLightGCN": [0.105, 0.106, 0.104],
    "RLMRecCon-shuffle-0.5": [0.090, 0.093, 0.091],  # falls below the backbone
    "DaRec-shuffle-0.5": [0.104, 0.105, 0.104],
    "DaRec-noise-0.5": [0.103, 0.104, 0.104],
    "DaRec-global-x4": [0.095, 0.096, 0.094],
}
CLASSES = {"RLMRecCon-shuffle-0.5": "RLMRecConLightGCN"}


def _write(folder, rows):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, ["model", "seed", "status", "test_recall@20", "test_ndcg@20", "valid_recall@20"])
        writer.writeheader()
        writer.writerows(rows)


def _rows(name, model):
    return [
        {
            "model": model,
            "seed": 2020 + i,
            "status": "ok",
            "test_recall@20": v,
            "test_ndcg@20": v / 2,
            "valid_recall@20": v,
        }
        for i, v in enumerate(RECALL[name])
    ]


@pytest.fixture
def results(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    group = tmp_path / "out" / "toy-LightGCN"
    _write(group, [r for name in ("LightGCN", "RLMRecConLightGCN", "DaRecLightGCN") for r in _rows(name, name)])
    for name in list(RECALL)[3:]:
        _write(group / name, _rows(name, CLASSES.get(name, "DaRecLightGCN")))
    return tmp_path / "out", suite


def test_entries_are_placed_by_their_settings():
    models = [
        ("LightGCN", "LightGCN", {}),
        ("Init", "LightGCN", {"profile_init": "projection"}),
        ("Init-bad", "LightGCN", {"profile_init": "projection", "profile_corruption_fraction": 1.0}),
        ("DaRecLightGCN", "DaRecLightGCN", {}),
        ("DaRec-x16", "DaRecLightGCN", {"darec_loc_weight": 0.16}),
    ]
    assert place(models) == {
        "LightGCN": ("LightGCN", "clean", 0.0),
        "Init": ("Init", "clean", 0.0),
        "Init-bad": ("Init", "shuffle", 1.0),  # its method is the clean entry of the same model *and* profile_init
        "DaRecLightGCN": ("DaRecLightGCN", "clean", 0.0),
        "DaRec-x16": ("DaRecLightGCN", "darec_loc_weight", 0.16),
    }
    with pytest.raises(ValueError, match="no clean entry"):
        place([("LightGCN", "LightGCN", {}), ("Orphan", "AlphaRec", {"profile_corruption_fraction": 0.5})])


def test_the_report_gives_drops_harm_and_the_paired_comparison(results):
    out, suite = results
    assert main([str(out), f"--suite={suite}"]) == 0
    text = (out / "robustness.md").read_text()
    assert f"`python -m recbole_darec.robustness_report {out} --suite={suite}`" in text  # the command that made it
    assert "| RLMRecConLightGCN | 0.1113 ± 0.0015 (3) | 0.0913 ± 0.0015 (3) |" in text
    assert "| LightGCN (reads no profiles) | 0.1010 ± 0.0010 (3) | – |" in text
    assert "| RLMRecConLightGCN | **-18.0% (p = " in text  # its drop from its own clean score, significant
    # clean, DaRec is behind RLMRec-Con; with half the profiles wrong it is ahead
    assert "| DaRecLightGCN vs RLMRecConLightGCN | **-5.7% (p = 0.0416)** | **+14.2% (p = " in text
    # below the backbone once half the profiles are wrong: a negative bold cell at fraction 0.5
    assert "| RLMRecConLightGCN | **+10.2% (p = 0.00721)** | **-9.6% (p = " in text
    assert "| DaRecLightGCN | 0.5 | 0.1043 ± 0.0006 / 0.0522 ± 0.0003 | 0.1037 ± 0.0006 / 0.0518 ± 0.0003 |" in text
    assert "| DaRec-global-x4 | darec_glo_weight | 0.04 | 0.0950 ± 0.0010 |" in text
    assert (out / "toy-LightGCN" / "robustness.png").stat().st_size > 1000


def test_the_report_can_be_held_to_some_seeds(results):
    """--seeds keeps a partial suite's report on the seeds every cell has: the cells count only those."""
    out, suite = results
    assert main([str(out), f"--suite={suite}", "--seeds=2020,2021,", f"--out={out / 'two.md'}"]) == 0
    text = (out / "two.md").read_text()
    assert "Seeds with a finished run: 2020, 2021." in text
    assert "| LightGCN (reads no profiles) | " in text and " (2) | – |" in text and " (3) |" not in text
    with pytest.raises(SystemExit):
        main([str(out), f"--suite={suite}", "--seeds=many"])


def test_two_pairs_give_no_verdict(results):
    """With two seeds a paired t-test has one degree of freedom: the report shows p but bolds nothing."""
    out, suite = results
    assert main([str(out), f"--suite={suite}", "--seeds=2", f"--out={out / 'two.md'}"]) == 0
    text = (out / "two.md").read_text()
    assert "2 pairs: no verdict" in text and "**" not in text.split("#### test recall@20")[1].split("![")[0]
