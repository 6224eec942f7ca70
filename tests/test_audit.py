"""The profile leakage audit (recbole_darec.profiles.audit): names, counting, flagging, CLI."""

import json

import pandas as pd
import pytest

from recbole_darec.convert import convert_lightgcn_txt
from recbole_darec.profiles.audit import audit_splits, format_report, item_names, names_from_profiles, read_names_file
from recbole_darec.profiles.texts import ProfileError


def test_names_come_from_the_start_of_item_profiles():
    names = names_from_profiles(
        {
            "1": "Moonspell is a Portuguese gothic metal band.",
            "2": "Robert Plant, a legendary figure in the music world, is known for Led Zeppelin.",
            "3": '"Nick Cave and the Bad Seeds" are an Australian rock band.',
            "4": "A long text that never says what the thing is called and goes on for many words is here.",
            "5": "No verb here.",
        }
    )
    assert names == {"1": "Moonspell", "2": "Robert Plant", "3": "Nick Cave and the Bad Seeds"}


def test_counts_rates_and_flags_on_hand_made_splits():
    users = {"u1": "Loves Moonspell and Tool.", "u2": "Listens to tool-heavy mixes and MOONSPELL."}
    names = {"a": "Moonspell", "b": "Tool", "c": "Opeth"}
    splits = {
        "train": [("u1", "a"), ("u1", "b"), ("u2", "c"), ("u2", "x")],  # x has no name: not counted
        "valid": [("u2", "a"), ("u1", "c")],  # u2 names Moonspell (any case); "tool-heavy" is "tool" as a word
        "test": [("u1", "c"), ("u2", "c"), ("u1", "c"), ("u2", "c")],
    }
    report = audit_splits(splits, users, names)
    assert report["train"] == {"interactions": 4, "checked": 3, "named": 2, "rate": pytest.approx(2 / 3)}
    assert report["valid"] == {"interactions": 2, "checked": 2, "named": 1, "rate": 0.5}
    assert report["test"] == {"interactions": 4, "checked": 4, "named": 0, "rate": 0.0}
    assert report["flagged"] == ["valid"]  # 0.5 is closer to 2/3 than to 0; test is not
    table = format_report(report).splitlines()
    assert table[1].split() == ["train", "3", "of", "4", "2", "66.67%"]  # never a count that looks like the split's
    assert table[2].split() == ["valid", "2", "1", "50.00%"]


def test_item_names_prefer_a_names_file_then_a_title_column(tmp_path):
    path = tmp_path / "names.tsv"
    path.write_text("1\tToy Story\n2\tHeat\n")
    assert read_names_file(path) == {"1": "Toy Story", "2": "Heat"}
    table = pd.DataFrame({"movie_title": ["Toy Story", "Heat"], "year": ["1995", "1995"]}, index=["1", "2"])
    assert item_names({"1": "Other is x"}, table) == {"1": "Toy Story", "2": "Heat"}
    assert item_names({"1": "Other is x"}, None, str(path)) == {"1": "Toy Story", "2": "Heat"}
    (tmp_path / "bad.tsv").write_text("1 Toy Story\n")
    with pytest.raises(ProfileError, match=r"bad.tsv, line 1: expected 'item_id<TAB>name'"):
        read_names_file(tmp_path / "bad.tsv")
    with pytest.raises(ProfileError, match="no item names"):
        item_names({"1": "no name here"}, None)


@pytest.mark.slow
def test_lastfm_profiles_leak_into_a_training_carve_out_and_not_into_test(tmp_path, shared_dataset, run_cli):
    src = shared_dataset("lastfm-colakg")
    data = tmp_path / "dataset"
    for name, valid_from in (("carved", "train"), ("clean", "test")):
        convert_lightgcn_txt(src, name, str(data), valid_from=valid_from)
    reports = {}
    for name in ("carved", "clean"):
        result = run_cli(
            "-m", "recbole_darec.profiles", "audit", f"--dataset={name}", "--format=json", f"--data_path={data}"
        )
        assert result.returncode == 0, result.stderr[-2000:]
        reports[name] = json.loads(result.stdout)
    carved, clean = reports["carved"], reports["clean"]
    assert 0.14 < carved["train"]["rate"] < 0.16 and 0.14 < carved["valid"]["rate"] < 0.16
    assert carved["test"]["rate"] < 0.003 and carved["flagged"] == ["valid"]
    assert clean["flagged"] == [] and clean["valid"]["rate"] < 0.003 and clean["test"]["rate"] < 0.003
    assert clean["train"]["checked"] > 57000  # all of train.txt whose artist has a name
    text = run_cli("-m", "recbole_darec.profiles", "audit", "--dataset=carved", f"--data_path={data}")
    assert "flagged: valid" in text.stdout and "warning: the user profiles name" in text.stdout


@pytest.mark.slow
def test_constructed_profiles_read_training_interactions_only(tmp_path, run_cli, config_for):
    from recbole_darec.profiles import build_texts

    build_texts(config_for(tmp_path), ["user"], source="construct")  # the audit reads texts only: no encoding
    data = tmp_path / "dataset"
    result = run_cli(
        "-m", "recbole_darec.profiles", "audit", "--dataset=ml-100k", "--format=json", f"--data_path={data}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["train"]["rate"] > 0.05 and report["flagged"] == []
    assert (
        report["valid"]["rate"] < report["train"]["rate"] / 4 and report["test"]["rate"] < report["train"]["rate"] / 4
    )
