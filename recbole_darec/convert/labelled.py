"""``user<TAB>item<TAB>label`` files (DBbook): liked rows are the interactions, validation from the test file."""

import os

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.convert.common import (
    ConversionError,
    report_leakage,
    split_test_for_validation,
    write_split_config,
    write_splits,
)
from recbole_darec.filenames import text_path
from recbole_darec.profiles.audit import read_names_file
from recbole_darec.profiles.sources import (
    import_texts,
)
from recbole_darec.profiles.texts import write_texts

DBBOOK_FILES = {
    "train": "train_sorted.tsv",
    "test": "test_sorted.tsv",
    "user_profiles": "user_profiles.jsonl",
    "item_names": "mapping_items.tsv",
}


def read_labelled(path):
    """``(liked, not liked)`` (user, item) pairs of a ``user<TAB>item<TAB>label`` file, label 1 or 0."""
    liked, disliked, seen = [], [], {}
    with open(path, "r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.rstrip("\n").split("\t")]
            if len(parts) != 3 or not parts[0] or not parts[1] or parts[2] not in ("0", "1"):
                raise ConversionError(
                    f"{path}, line {lineno}: expected 'user<TAB>item<TAB>label' with label 1 (liked) or 0, "
                    f"got {line.strip()!r}."
                )
            pair = (parts[0], parts[1])
            if pair in seen:
                raise ConversionError(
                    f"{path}, line {lineno}: user {pair[0]}, item {pair[1]} is already on line {seen[pair]}; "
                    "keep one label per pair."
                )
            seen[pair] = lineno
            (liked if parts[2] == "1" else disliked).append(pair)
    return liked, disliked


def convert_labelled_tsv(src, name, out, train, test, user_profiles=None, item_names=None, seed=2020):
    out_dir = os.path.join(out, name)
    paths = {"train": os.path.join(src, train), "test": os.path.join(src, test)}
    (train_pairs, train_disliked), (test_pairs, test_disliked) = (read_labelled(paths[s]) for s in ("train", "test"))
    history = {u for u, _ in train_pairs}
    no_history = sorted({u for u, _ in test_pairs} - history)
    if no_history:
        dropped = sum(u not in history for u, _ in test_pairs)
        test_pairs = [(u, i) for u, i in test_pairs if u in history]
        print(
            f"{name}: {len(no_history)} user(s) with liked test items but no liked training item dropped with their "
            f"{dropped} test interaction(s) (all-rank evaluation needs a history; e.g. {no_history[:5]})"
        )
    test_pairs, valid_pairs = split_test_for_validation(test_pairs, seed)
    splits = {"train": train_pairs, "valid": valid_pairs, "test": test_pairs}
    write_splits(out_dir, name, splits)
    print(
        f"{name}: {len(train_disliked)} training and {len(test_disliked)} test rows labelled 0 (rated, not liked) "
        "are not interactions: neither trained on, held out nor masked"
    )
    train_items = {i for _, i in train_pairs}
    held_out = valid_pairs + test_pairs
    cold = {i for _, i in held_out if i not in train_items}
    print(
        f"{name}: {sum(i in cold for _, i in held_out)} of {len(held_out)} held-out interactions are on {len(cold)} "
        "cold items (no training interaction)"
    )
    extra = ""
    if item_names:
        names = read_names_file(os.path.join(src, item_names))
        items = sorted(train_items | {i for _, i in held_out}, key=lambda i: (len(i), i))
        titled = {i: names[i] for i in items if i in names}
        untitled = [i for i in items if i not in names]
        untitled_set = set(untitled)
        untitled_train = sorted(untitled_set & train_items)
        if untitled_train:
            raise ConversionError(
                f"{os.path.join(src, item_names)} names no item {', '.join(untitled_train[:5])} of the training "
                f"file ({len(untitled_train)} in all): every trained item needs its text; add their names."
            )
        write_texts(text_path(out_dir, name, "item"), titled, f"import:{item_names}")
        lines = ["item_id:token\ttitle:token_seq\n"] + [f"{i}\t{titled[i]}\n" for i in titled]
        atomic_write_text(os.path.join(out_dir, f"{name}.item"), "".join(lines))
        print(f"{name}: {len(titled)} item profiles (names) from {item_names}")
        if untitled:
            rows = sum(i in untitled_set for _, i in held_out)
            print(
                f"{name}: {len(untitled)} held-out item(s) have no name ({rows} interactions kept, e.g. "
                f"{untitled[:5]}): they get zero profile vectors (profile_allow_missing: True in {name}.yaml)"
            )
            extra = f"# {len(untitled)} held-out items have no name, so no profile: zero vectors, not an error\n"
            extra += "profile_allow_missing: True\n"
    if user_profiles:
        path = os.path.join(src, user_profiles)
        texts = import_texts(path)
        users = {u for pairs in splits.values() for u, _ in pairs}
        missing = sorted(users - set(texts))
        if missing:
            raise ConversionError(f"{path}: no profile for {len(missing)} user(s) of the splits (e.g. {missing[:5]}).")
        unused = len(set(texts) - users)
        write_texts(
            text_path(out_dir, name, "user"),
            {u: texts[u] for u in sorted(users, key=lambda u: (len(u), u))},
            f"import:{user_profiles}",
        )
        print(f"{name}: {len(users)} user profiles imported; {unused} profiled user(s) have no liked training item")
    note = f"liked rows of {train} / {test}; validation is a seeded half of each user's liked test items (seed {seed})"
    write_split_config(out_dir, name, "train_valid", note, extra)
    report_leakage(out_dir, name, splits)
