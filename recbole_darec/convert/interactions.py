"""A plain file of interactions (CSV or TSV with a header: user, item[, rating][, timestamp]) into a leak-free
train / validation / test split, with the profile texts a user has, ready for ``--dataset=<name>``.

Each user's interactions are split at random with a seed (``--order=random``) or by time (``--order=time``: the
last ones held out); ``--valid_ratio`` and ``--test_ratio`` of them are held out, at least one kept for training.
A user with too few interactions to hold one out (fewer than 3) stays in training only, counted. With
``--min_rating`` only rows rated at least that are interactions (the others are counted and left out of every
split). Repeated (user, item) rows are an error naming their lines, or with ``--duplicates=first`` the first
is kept and the rest counted. Profile texts (``--user_profiles``, ``--item_profiles``: a JSON object, JSONL,
CSV/TSV with ``id,text``, or RLMRec pickles) must cover every user and item of the splits; the leakage audit is
printed, since user profiles written from the held-out interactions turn evaluation into a test of copying.
"""

import os

import numpy as np
import pandas as pd

from recbole_darec.convert.common import ConversionError, report_leakage, write_split_config, write_splits
from recbole_darec.filenames import text_path
from recbole_darec.profiles.sources import import_texts
from recbole_darec.profiles.texts import write_texts

ROLES = ("user", "item", "rating", "timestamp")
# header names each role is found under when --columns does not say (case-insensitive)
DEFAULT_NAMES = {
    "user": ("user_id", "user", "userid", "uid"),
    "item": ("item_id", "item", "itemid", "iid", "movie_id", "book_id"),
    "rating": ("rating", "score", "label"),
    "timestamp": ("timestamp", "time", "ts"),
}


def _separator(path):
    with open(path, "r", encoding="utf-8") as f:
        head = f.readline()
    return "\t" if "\t" in head else ","


def read_interactions(path, columns=None):
    """``DataFrame[user, item(, rating)(, timestamp)]`` as strings / numbers, with the file's line numbers."""
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file.")
    table = pd.read_csv(path, sep=_separator(path), dtype=str, keep_default_na=False, skip_blank_lines=False)
    header = {name.lower(): name for name in table.columns}
    wanted = dict(zip(("user", "item", "rating", "timestamp"), columns)) if columns else {}
    chosen = {}
    for role in ROLES:
        name = wanted.get(role) or next((header[n] for n in DEFAULT_NAMES[role] if n in header), None)
        if name is not None and name not in table.columns:
            raise ConversionError(f"{path}, line 1: no column '{name}' (the header has {list(table.columns)}).")
        if name is not None:
            chosen[role] = name
    for role in ("user", "item"):
        if role not in chosen:
            raise ConversionError(
                f"{path}, line 1: no {role} column among {list(table.columns)}; name it {DEFAULT_NAMES[role][0]} "
                f"or pass --columns=<user column>,<item column>[,<rating column>[,<timestamp column>]]."
            )
    table = table[list(chosen.values())].rename(columns={v: k for k, v in chosen.items()})
    table["line"] = np.arange(2, len(table) + 2)
    for role in chosen:
        empty = table[role].str.strip() == ""
        if empty.any():
            raise ConversionError(
                f"{path}, line {table.line[empty].iloc[0]}: empty {role} ({int(empty.sum())} in all)."
            )
        if role in ("rating", "timestamp"):
            values = pd.to_numeric(table[role], errors="coerce")
            bad = ~np.isfinite(values)
            if bad.any():
                raise ConversionError(
                    f"{path}, line {table.line[bad].iloc[0]}: {role} {table[role][bad].iloc[0]!r} is no finite number."
                )
            table[role] = values
    return table


def split_per_user(table, valid_ratio, test_ratio, order, seed):
    """``{train, valid, test}: [(user, item)]``, each user's rows held out at random (seeded) or latest first."""
    rng = np.random.default_rng(seed)
    splits = {"train": [], "valid": [], "test": []}
    too_few = 0
    for user, rows in table.groupby("user", sort=True):
        items = rows["item"].tolist()
        if order == "time":
            items = [items[k] for k in np.argsort(rows["timestamp"].to_numpy(), kind="stable")]
        else:
            items = [items[k] for k in rng.permutation(len(items))]
        n = len(items)
        n_test = min(max(int(round(n * test_ratio)), 1 if test_ratio else 0), n - 1)
        n_valid = min(max(int(round(n * valid_ratio)), 1 if valid_ratio else 0), n - 1 - n_test)
        if n < 3:
            too_few += 1
            n_test = n_valid = 0
        held = n_test + n_valid
        splits["train"] += [(user, i) for i in items[: n - held]]
        splits["valid"] += [(user, i) for i in items[n - held : n - n_test]]
        splits["test"] += [(user, i) for i in items[n - n_test :]]
    return splits, too_few


def convert_interactions(
    src,
    name,
    out,
    columns=None,
    min_rating=None,
    duplicates="error",
    order="random",
    valid_ratio=0.1,
    test_ratio=0.1,
    seed=2020,
    user_profiles=None,
    item_profiles=None,
):
    if order not in ("random", "time"):
        raise ConversionError(f"--order={order}: use random or time.")
    if not (0 <= valid_ratio < 1 and 0 < test_ratio < 1 and valid_ratio + test_ratio < 1):
        raise ConversionError(
            f"--valid_ratio={valid_ratio}, --test_ratio={test_ratio}: each in [0, 1), test above 0, their sum below 1."
        )
    # every check of the inputs (profile files included) before anything is written
    table = read_interactions(src, columns)
    if order == "time" and "timestamp" not in table:
        raise ConversionError(f"{src}: --order=time needs a timestamp column.")
    if min_rating is not None:
        if "rating" not in table:
            raise ConversionError(f"{src}: --min_rating needs a rating column.")
        below = table.rating < min_rating
        print(f"{name}: {int(below.sum())} of {len(table)} rows rated below {min_rating} are no interactions")
        table = table[~below]
    repeated = table.duplicated(["user", "item"], keep="first")
    if repeated.any():
        first = table[table.duplicated(["user", "item"], keep=False)].groupby(["user", "item"]).line.min()
        row = table[repeated].iloc[0]
        if duplicates != "first":
            raise ConversionError(
                f"{src}, line {row.line}: user {row.user}, item {row['item']} repeats line "
                f"{first[(row.user, row['item'])]} ({int(repeated.sum())} repeated rows in all); remove them, or pass "
                "--duplicates=first to keep each pair's first row."
            )
        print(f"{name}: {int(repeated.sum())} repeated (user, item) rows dropped, the first of each kept")
        table = table[~repeated]
    texts = {}
    for kind, path in (("user", user_profiles), ("item", item_profiles)):
        if path:
            texts[kind] = import_texts(path)
            missing = sorted(set(table[kind]) - set(texts[kind]))
            if missing:
                raise ConversionError(
                    f"{path}: no profile for {len(missing)} {kind}(s) of {src} (e.g. {missing[:5]}); add their texts."
                )
    splits, too_few = split_per_user(table, valid_ratio, test_ratio, order, seed)
    out_dir = os.path.join(out, name)
    write_splits(out_dir, name, splits)
    if too_few:
        print(f"{name}: {too_few} user(s) with fewer than 3 interactions are in training only")
    for kind, kind_texts in texts.items():
        ids = sorted(set(table[kind]), key=lambda i: (len(i), i))
        origin = user_profiles if kind == "user" else item_profiles
        write_texts(
            text_path(out_dir, name, kind), {i: kind_texts[i] for i in ids}, f"import:{os.path.basename(origin)}"
        )
        print(f"{name}: {len(ids)} {kind} profiles imported from {origin}")
    how = f"at random (seed {seed})" if order == "random" else "latest first"
    note = f"{src}; per user {valid_ratio:g} validation and {test_ratio:g} test held out {how}"
    write_split_config(out_dir, name, "train_valid", note)
    report_leakage(out_dir, name, splits)
