"""Atomic writes (recbole_darec.atomic_io): a reader sees the old file or the whole new one, never half."""

import os

import pytest

from recbole_darec.atomic_io import atomic_write_bytes, atomic_write_csv, atomic_write_text


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "table.csv"
    atomic_write_text(path, "old\n")

    def crash(f):
        f.write(b"half of the new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, crash)
    assert path.read_text() == "old\n" and os.listdir(tmp_path) == ["table.csv"]
    atomic_write_text(path, "new\n")
    assert path.read_text() == "new\n" and os.listdir(tmp_path) == ["table.csv"]


def test_folders_are_created(tmp_path):
    atomic_write_text(tmp_path / "a" / "b" / "c.txt", "x")
    assert (tmp_path / "a" / "b" / "c.txt").read_text() == "x"


def test_csv_rows_keep_the_given_column_order_and_leave_missing_keys_empty(tmp_path):
    import csv

    path = tmp_path / "rows.csv"
    atomic_write_csv(path, [{"b": 1, "a": "x,y"}, {"a": 2}], ["a", "b"])
    with open(path, newline="") as f:
        assert list(csv.reader(f)) == [["a", "b"], ["x,y", "1"], ["2", ""]]
