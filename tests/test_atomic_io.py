"""Atomic writes (recbole_darec.atomic_io): a reader sees the old file or the whole new one, never half."""

import os

import pytest

from recbole_darec.atomic_io import atomic_write_bytes, atomic_write_text


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
