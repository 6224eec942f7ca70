"""What every converter shares: the split checks, the atomic files and split YAML it writes, the leakage audit it
prints, and validation carved per user."""

import os

import numpy as np

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.filenames import split_config_path
from recbole_darec.profiles.audit import audit_folder, format_report
from recbole_darec.profiles.texts import ProfileError

SPLITS = ("train", "valid", "test")


class ConversionError(ValueError):
    """Input splits that cannot be converted faithfully; the message says what and how many."""


def write_inter(path, pairs):
    lines = ["user_id:token\titem_id:token\n"] + [f"{u}\t{i}\n" for u, i in pairs]
    atomic_write_text(path, "".join(lines))


def check_splits(splits):
    """No (user, item) pair in two splits, none twice in one split; every split non-empty."""
    seen = {}
    for name, pairs in splits.items():
        if not pairs:
            raise ConversionError(f"the {name} split is empty.")
        unique = set(pairs)
        if len(unique) != len(pairs):
            raise ConversionError(f"the {name} split lists {len(pairs) - len(unique)} (user, item) pair(s) twice.")
        for other, other_pairs in seen.items():
            overlap = unique & other_pairs
            if overlap:
                example = next(iter(overlap))
                raise ConversionError(
                    f"{len(overlap)} (user, item) pair(s) are in both the {other} and the {name} "
                    f"split (e.g. user {example[0]}, item {example[1]}); "
                    "the splits must be disjoint."
                )
        seen[name] = unique
    train_users = {u for u, _ in splits["train"]}
    cold = {u for name in ("valid", "test") for u, _ in splits[name]} - train_users
    if cold:
        raise ConversionError(
            f"{len(cold)} user(s) appear in validation/test but have no training interaction "
            f"(e.g. {sorted(cold)[:5]}); all-rank evaluation needs a training history."
        )


def write_split_config(out_dir, name, test_history, note, extra=""):
    """``<name>.yaml`` beside the split: the settings every run on it needs (``extra``: more YAML lines)."""
    text = (
        f"# Written by python -m recbole_darec.convert: {note}\n"
        "benchmark_filename: [train, valid, test]\n"
        "load_col:\n  inter: [user_id, item_id]\n"
        f"test_history: {test_history}\n"
        f"{extra}"
    )
    atomic_write_text(split_config_path(out_dir, name), text)


def write_splits(out_dir, name, splits):
    check_splits(splits)
    os.makedirs(out_dir, exist_ok=True)
    for split, pairs in splits.items():
        write_inter(os.path.join(out_dir, f"{name}.{split}.inter"), pairs)
    users = {u for pairs in splits.values() for u, _ in pairs}
    items = {i for pairs in splits.values() for _, i in pairs}
    print(
        f"{name}: {len(users)} users, {len(items)} items, "
        + ", ".join(f"{len(splits[s])} {s}" for s in SPLITS)
        + f" interactions -> {out_dir}"
    )


def _move_per_user(pairs, how_many, seed):
    """``(kept, moved)``: ``how_many(n)`` of each user's ``n`` items, a seeded random choice, moved out of ``pairs``."""
    rng = np.random.default_rng(seed)
    by_user = {}
    for u, i in pairs:
        by_user.setdefault(u, []).append(i)
    kept, moved = [], []
    for u in sorted(by_user, key=lambda u: (not u.isdigit(), int(u) if u.isdigit() else 0, u)):
        items = by_user[u]
        order = rng.permutation(len(items))
        n_moved = how_many(len(items))
        moved += [(u, items[k]) for k in order[:n_moved]]
        kept += [(u, items[k]) for k in order[n_moved:]]
    return kept, moved


def carve_validation(train, ratio, seed):
    """Move ``ratio`` of each user's training items (at least one kept in train) into validation, seeded."""
    return _move_per_user(train, lambda n: min(int(round(n * ratio)), n - 1), seed)


def split_test_for_validation(test, seed):
    """Move a seeded half (rounded down) of each user's test items into validation; one item stays in test."""
    return _move_per_user(test, lambda n: n // 2, seed)


def report_leakage(out_dir, name, splits):
    """Run the profile leakage audit on a converted split and print it, with its warning when flagged."""
    try:
        report = audit_folder(out_dir, name, splits)
    except ProfileError as err:
        print(f"{name}: leakage audit skipped: {err}")
        return
    if report is not None:
        print(f"{name}: how often user profiles name the items of each split (leakage audit)")
        print(format_report(report))
