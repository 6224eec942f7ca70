"""docs/own_data.md: its three commands, run as written on a generated dataset (one seed, one epoch)."""

import csv
import os
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest

from recbole_darec.convert import ConversionError, convert_interactions

pytestmark = pytest.mark.slow


def documented_commands(repo_root):
    text = open(os.path.join(repo_root, "docs", "own_data.md"), encoding="utf-8").read()
    block = re.search(r"<!-- own-data-commands.*?```bash\n(.*?)```", text, re.S).group(1)
    return [shlex.split(line) for line in block.strip().splitlines()]


def write_own_data(folder, users=40, items=60, seed=0):
    rng = np.random.default_rng(seed)
    with open(folder / "ratings.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user", "item", "rating", "timestamp"])
        for u in range(1, users + 1):
            for i in rng.choice(np.arange(1, items + 1), size=int(rng.integers(4, 15)), replace=False):
                writer.writerow([f"u{u}", f"i{i}", int(rng.integers(1, 6)), int(rng.integers(10**9, 2 * 10**9))])
    with open(folder / "items.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for i in range(1, items + 1):
            writer.writerow([f"i{i}", f"A {['quiet', 'loud', 'sad'][i % 3]} {['film', 'book'][i % 2]}, number {i}"])


def test_the_three_documented_commands_give_a_row_and_a_comparison(tmp_path, repo_root, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_own_data(tmp_path)
    commands = documented_commands(repo_root)
    assert [c[:4] for c in commands] == [
        ["python", "-m", "recbole_darec", name] for name in ("convert", "run", "compare")
    ]
    for command in commands:
        short = ["--seeds=2020," if arg.startswith("--seeds=") else arg for arg in command[1:]]
        if command[3] != "convert":
            short += ["--epochs=1", "--show_progress=False"]
        result = subprocess.run([sys.executable, *short], capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stderr[-3000:]
    assert (
        "test result: {"
        in subprocess.run(
            [sys.executable, *commands[1][1:], "--epochs=1", "--show_progress=False"], capture_output=True, text=True
        ).stdout
    )
    table = open(tmp_path / "results" / "mydata" / "results.md").read()
    assert all(model in table for model in ("LightGCN", "DaRecLightGCN", "L3AE", "EASE"))


@pytest.mark.parametrize(
    "header, row, problem",
    [
        ("usr,itm", "u1,i1", r"line 1: no user column among \['usr', 'itm'\]"),
        ("user,item", "u1,", "line 3: empty item"),
        ("user,item", "u1,i1", r"line 3: user u1, item i1 repeats line 2 .*--duplicates=first"),
        ("user,item,rating", "u1,i2,nan", "line 3: rating 'nan' is no finite number"),
    ],
)
def test_a_bad_interactions_file_is_refused_naming_its_line_and_writes_nothing(tmp_path, header, row, problem):
    first = "u1,i1" + (",5" if "rating" in header else "")
    (tmp_path / "in.csv").write_text(f"{header}\n{first}\n{row}\n")
    with pytest.raises(ConversionError, match=problem):
        convert_interactions(str(tmp_path / "in.csv"), "bad", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_profile_file_missing_an_item_is_refused_before_writing(tmp_path):
    write_own_data(tmp_path)
    (tmp_path / "few.json").write_text('{"i1": "a film"}')
    with pytest.raises(ConversionError, match=r"few.json: no profile for 59 item\(s\)"):
        convert_interactions(
            str(tmp_path / "ratings.csv"), "x", str(tmp_path / "out"), item_profiles=str(tmp_path / "few.json")
        )
    assert not (tmp_path / "out").exists()


def test_the_split_is_seeded_per_user_and_holds_out_the_latest_by_time(tmp_path):
    write_own_data(tmp_path)
    src = str(tmp_path / "ratings.csv")
    convert_interactions(src, "a", str(tmp_path / "o1"), seed=3)
    convert_interactions(src, "a", str(tmp_path / "o2"), seed=3)
    for split in ("train", "valid", "test"):
        assert (tmp_path / "o1" / "a" / f"a.{split}.inter").read_bytes() == (
            tmp_path / "o2" / "a" / f"a.{split}.inter"
        ).read_bytes()
    convert_interactions(src, "t", str(tmp_path / "o3"), order="time")
    rows = list(csv.DictReader(open(src)))
    latest = {}
    for r in rows:
        if r["user"] not in latest or int(r["timestamp"]) > int(latest[r["user"]][1]):
            latest[r["user"]] = (r["item"], r["timestamp"])
    test = [line.split("\t") for line in (tmp_path / "o3" / "t" / "t.test.inter").read_text().splitlines()[1:]]
    assert {u: i for u, i in test} == {u: item for u, (item, _) in latest.items()}
