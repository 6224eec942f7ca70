"""Bring fixed train/validation/test splits into RecBole as benchmark atomic files.

    python -m recbole_darec.convert rlmrec --src=<dir with trn_mat.pkl val_mat.pkl tst_mat.pkl
        [usr_prf.pkl itm_prf.pkl usr_emb_np.pkl itm_emb_np.pkl]> --name=amazon-book [--out=dataset]
    python -m recbole_darec.convert lightgcn-txt --src=<dir with train.txt test.txt
        [user_map.txt item_map.txt llm_response_user.json llm_response_item.json movies.dat users.dat]>
        --name=lastfm [--valid_from=test|train] [--valid_ratio=0.1] [--seed=2020] [--out=dataset]

Writes ``<out>/<name>/<name>.{train,valid,test}.inter`` (``user_id:token item_id:token``, raw ids),
profile texts (``<name>.uprofile.jsonl`` / ``.iprofile.jsonl``) when LLM profiles are
present, RLMRec's own profile vectors as user-supplied ``.useremb`` / ``.itememb``,
MovieLens ``.item`` / ``.user`` side files from ``movies.dat`` / ``users.dat``, and
``<name>.yaml``: what a run must know about the split (its benchmark files, columns and which
items to mask at test time), read by this package's Config, so ``--dataset=<name>`` runs as is.

    python -m recbole_darec.convert labelled-tsv --src=<dir> --name=<name> --train=<file> --test=<file>
        [--user_profiles=<jsonl>] [--item_names=<item<TAB>name file>] [--seed=2020] [--out=dataset]
    python -m recbole_darec.convert dbbook --src=../shared/datasets/dbbook-llm-profiles --name=dbbook

``labelled-tsv`` reads ``user<TAB>item<TAB>label`` files (label 1: liked, 0: rated, not liked). The
liked rows are the interactions; validation is a seeded half of each user's liked test items (as
``--valid_from=test``); the not-liked rows are no interactions at all: not trained on, not held out
and not masked at test time (masking a test-time rating would use what the test split knows), so a
book a user rated and disliked stays a candidate like any other unliked book; they are counted.
Users with liked test items but no liked training item are dropped (all-rank evaluation needs a
history) and counted, as are profiled users with no liked item at all. User profiles come from a
JSONL file (``{"user_id", "profile"}`` or ``{"id", "text"}``); item profiles are the item names of the
names file, the text before a trailing ``;http...`` URI (DBbook's ``Title;DBpedia URI``), also written as
a ``.item`` title column for the leakage audit. Test items without a name keep their interactions and
get no profile (zero vectors, ``profile_allow_missing: True`` in the split's YAML, counted). ``dbbook``
is this converter with DBbook's file names.

Validation of a txt split without ``valid.txt`` (``--valid_from``): ``test`` (default) moves a
seeded half of each user's test items into validation (a user with one test item keeps it in
test) and trains on the whole train.txt; ``train`` carves ``--valid_ratio`` of each user's
training items out. When the source's profiles were written from its training file (CoLaKG's
Last.fm), the carve-out is seen by the profiles: the converter runs the leakage audit
(:mod:`recbole_darec.profiles.audit`) on every split it writes and prints its warning.
"""

import argparse
import os
import pickle
import sys

import numpy as np
import scipy.sparse as sp

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.filenames import split_config_path, text_path
from recbole_darec.profiles.audit import audit_folder, format_report, read_names_file
from recbole_darec.profiles.sources import (
    construct_user_texts,
    describe_rows,
    import_texts,
    read_id_map,
    read_side_table,
)
from recbole_darec.profiles.texts import ProfileError, write_texts

SPLITS = ("train", "valid", "test")


class ConversionError(ValueError):
    """Input splits that cannot be converted faithfully; the message says what and how many."""


class _SparseMatrixUnpickler(pickle.Unpickler):
    """RLMRec's ``*_mat.pkl`` hold scipy sparse matrices: allow exactly those classes and numpy arrays."""

    ALLOWED = {
        ("scipy.sparse._coo", "coo_matrix"),
        ("scipy.sparse._csr", "csr_matrix"),
        ("scipy.sparse._csc", "csc_matrix"),
        ("scipy.sparse.coo", "coo_matrix"),
        ("scipy.sparse.csr", "csr_matrix"),
        ("scipy.sparse.csc", "csc_matrix"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise ConversionError(
                f"pickle refers to {module}.{name}; only scipy sparse matrices and numpy arrays "
                "are accepted (nothing was executed)."
            )
        return super().find_class(module, name)


def load_pickle(path):
    with open(path, "rb") as f:
        return _SparseMatrixUnpickler(f).load()


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


# ------------------------------------------------------------------ RLMRec pickles
def convert_rlmrec(src, name, out):
    out_dir = os.path.join(out, name)
    mats = {}
    for split, file in zip(SPLITS, ("trn_mat.pkl", "val_mat.pkl", "tst_mat.pkl")):
        path = os.path.join(src, file)
        if not os.path.isfile(path):
            raise ConversionError(f"missing {path}; an RLMRec split needs trn_mat.pkl, val_mat.pkl and tst_mat.pkl.")
        mats[split] = sp.coo_matrix(load_pickle(path))
    shapes = {s: m.shape for s, m in mats.items()}
    if len(set(shapes.values())) != 1:
        raise ConversionError(f"the split matrices differ in shape: {shapes}; they must share one user x item shape.")
    splits = {}
    for split, matrix in mats.items():
        matrix = matrix.tocsr()
        matrix.eliminate_zeros()
        matrix = matrix.tocoo()
        splits[split] = list(zip(matrix.row.tolist(), matrix.col.tolist()))
    write_splits(out_dir, name, splits)
    write_split_config(out_dir, name, "train", "RLMRec's own split; RLMRec masks training items only when testing")
    for kind, file in (("user", "usr_prf.pkl"), ("item", "itm_prf.pkl")):
        path = os.path.join(src, file)
        if os.path.isfile(path):
            write_texts(text_path(out_dir, name, kind), import_texts(path), f"import:{file}")
    for kind, file in (("user", "usr_emb_np.pkl"), ("item", "itm_emb_np.pkl")):
        path = os.path.join(src, file)
        if os.path.isfile(path):
            from recbole_darec.profiles import write_embedding_file

            vectors = np.asarray(load_pickle(path), dtype=np.float32)
            expected = shapes["train"][0 if kind == "user" else 1]
            if vectors.shape[0] != expected:
                raise ConversionError(f"{path} has {vectors.shape[0]} rows for {expected} {kind}s.")
            write_embedding_file(os.path.join(out_dir, f"{name}.{kind}emb"), kind, list(range(expected)), vectors)


# ------------------------------------------------------------------ "uid iid iid ..." text files
def read_adjacency(path):
    pairs = []
    with open(path, "r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            parts = line.split()
            if not parts:
                continue
            if not all(p.isdigit() for p in parts):
                raise ConversionError(f"{path}, line {lineno}: expected integers 'uid iid iid ...'.")
            pairs += [(parts[0], i) for i in parts[1:]]
    return pairs


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


def _map_ids(pairs, user_map, item_map, origin):
    mapped = []
    for u, i in pairs:
        if user_map is not None and u not in user_map:
            raise ConversionError(f"{origin}: user id {u} is not in user_map.txt.")
        if item_map is not None and i not in item_map:
            raise ConversionError(f"{origin}: item id {i} is not in item_map.txt.")
        mapped.append((user_map[u] if user_map else u, item_map[i] if item_map else i))
    return mapped


def _profile_id_map(path, id_map, data_raw_ids, id_space):
    """Which ids a profile JSON uses: ``mapped`` (translate through the map) or ``raw``; ``auto`` decides."""
    if id_map is None or id_space == "raw":
        return None
    if id_space == "mapped":
        return id_map
    import json

    with open(path, "r", encoding="utf-8") as f:
        keys = set(json.load(f))
    if keys == set(id_map):
        return id_map
    if data_raw_ids <= keys:
        return None
    raise ConversionError(f"{path}: cannot tell whether its ids are mapped or raw; pass --profile_ids=mapped or raw.")


def write_movielens_side_files(src, out_dir, name):
    movies, users = os.path.join(src, "movies.dat"), os.path.join(src, "users.dat")
    if os.path.isfile(movies):
        lines = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tgenre:token_seq\n"]
        with open(movies, "r", encoding="ISO-8859-1") as f:
            for line in f:
                movie_id, title, genres = line.rstrip("\n").split("::")
                year = title[-5:-1] if title.endswith(")") and title[-5:-1].isdigit() else ""
                title = title[:-7] if year else title
                lines.append(f"{movie_id}\t{title}\t{year}\t{genres.replace('|', ' ')}\n")
        atomic_write_text(os.path.join(out_dir, f"{name}.item"), "".join(lines))
    if os.path.isfile(users):
        lines = ["user_id:token\tgender:token\tage:token\toccupation:token\tzip_code:token\n"]
        with open(users, "r", encoding="ISO-8859-1") as f:
            lines += ["\t".join(line.rstrip("\n").split("::")) + "\n" for line in f]
        atomic_write_text(os.path.join(out_dir, f"{name}.user"), "".join(lines))


def convert_lightgcn_txt(src, name, out, valid_ratio=0.1, seed=2020, profile_ids="auto", valid_from="test"):
    out_dir = os.path.join(out, name)
    maps = {}
    for kind in ("user", "item"):
        path = os.path.join(src, f"{kind}_map.txt")
        maps[kind] = read_id_map(path) if os.path.isfile(path) else None
    train_path, test_path = os.path.join(src, "train.txt"), os.path.join(src, "test.txt")
    train = _map_ids(read_adjacency(train_path), maps["user"], maps["item"], train_path)
    test = _map_ids(read_adjacency(test_path), maps["user"], maps["item"], test_path)
    valid_path = os.path.join(src, "valid.txt")
    if os.path.isfile(valid_path):
        valid = _map_ids(read_adjacency(valid_path), maps["user"], maps["item"], valid_path)
        note = "the source's own train/valid/test files"
    elif valid_from == "test":
        test, valid = split_test_for_validation(test, seed)
        note = f"validation is a seeded half of each user's test.txt items (seed {seed}), training all of train.txt"
    elif valid_from == "train":
        train, valid = carve_validation(train, valid_ratio, seed)
        note = f"validation is {valid_ratio:.0%} of each user's train.txt items (seed {seed})"
    else:
        raise ConversionError(f"--valid_from={valid_from}: use test or train.")
    splits = {"train": train, "valid": valid, "test": test}
    write_splits(out_dir, name, splits)
    # train + valid masked at test time: both are known positives of the user, never test items
    write_split_config(out_dir, name, "train_valid", note)
    write_movielens_side_files(src, out_dir, name)
    for kind in ("user", "item"):
        path = os.path.join(src, f"llm_response_{kind}.json")
        if os.path.isfile(path):
            raw_ids = {p[0] if kind == "user" else p[1] for pairs in splits.values() for p in pairs}
            id_map = _profile_id_map(path, maps[kind], raw_ids, profile_ids)
            texts = import_texts(path, id_map, allow_empty=True)
            source = {k: f"import:{os.path.basename(path)}" for k in texts}
            empty = [k for k, v in texts.items() if not v.strip()]
            if empty:
                side = os.path.join(out_dir, f"{name}.{kind}")
                if not os.path.isfile(side):
                    raise ConversionError(
                        f"{path}: {len(empty)} empty profile(s) (ids {empty[:5]}) and no "
                        f"{kind} side information to describe them; fix the file."
                    )
                described = describe_rows(read_side_table(side, f"{kind}_id"))
                for key in empty:
                    texts[key], source[key] = described[key], "construct"
                print(
                    f"{name}: warning: {len(empty)} empty {kind} profile(s) in {path} (ids {empty[:5]}) "
                    f"replaced by constructed side-information text, marked source=construct"
                )
            write_texts(text_path(out_dir, name, kind), texts, source)
            print(f"{name}: {len(texts)} {kind} profiles imported from {path}")
    if not os.path.isfile(os.path.join(src, "llm_response_user.json")):
        construct_training_user_texts(out_dir, name, splits["train"])
    report_leakage(out_dir, name, splits)


def construct_training_user_texts(out_dir, name, train):
    """User texts for a source without user profiles (ML-1M), from the training split alone: each user's
    training items (the first 10 titles, the 5 most frequent genres) and the ``.user`` side file's demographics
    where there is one. Our construction: validation and test interactions are never read."""
    item_side, user_side = (os.path.join(out_dir, f"{name}.{kind}") for kind in ("item", "user"))
    if not os.path.isfile(item_side):
        return  # nothing to describe the items by; `python -m recbole_darec.profiles` builds or imports them
    user_table = read_side_table(user_side, "user_id") if os.path.isfile(user_side) else None
    texts = construct_user_texts(train, user_table, read_side_table(item_side, "item_id"))
    write_texts(text_path(out_dir, name, "user"), texts, "construct:train")
    demographics = f" and {os.path.basename(user_side)}'s demographics" if user_table is not None else ""
    print(
        f"{name}: no LLM user profiles in the source: {len(texts)} user texts constructed from the training split "
        f"only (each user's training items: titles and most frequent genres){demographics}; source=construct:train"
    )


# ------------------------------------------------------------------ "user<TAB>item<TAB>label" files
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("format", choices=["rlmrec", "lightgcn-txt", "labelled-tsv", "dbbook"])
    parser.add_argument("--src", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", default="dataset")
    parser.add_argument(
        "--valid_from",
        choices=["test", "train"],
        default="test",
        help="without valid.txt: validation from half of each user's test items (test) "
        "or carved out of the training file (train)",
    )
    parser.add_argument("--valid_ratio", type=float, default=0.1, help="share carved out with --valid_from=train")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--profile_ids", choices=["auto", "mapped", "raw"], default="auto")
    parser.add_argument("--train", help="labelled-tsv: the training file, relative to --src")
    parser.add_argument("--test", help="labelled-tsv: the test file, relative to --src")
    parser.add_argument("--user_profiles", help="labelled-tsv: a JSONL of user profiles, relative to --src")
    parser.add_argument("--item_names", help="labelled-tsv: an item<TAB>name file, relative to --src")
    args = parser.parse_args(argv)
    if args.format == "dbbook":
        args.format = "labelled-tsv"
        for key, file in DBBOOK_FILES.items():
            setattr(args, key, getattr(args, key) or file)
    if args.format == "labelled-tsv" and not (args.train and args.test):
        parser.error("labelled-tsv needs --train and --test (files in --src)")
    try:
        if args.format == "rlmrec":
            convert_rlmrec(args.src, args.name, args.out)
        elif args.format == "labelled-tsv":
            convert_labelled_tsv(
                args.src, args.name, args.out, args.train, args.test, args.user_profiles, args.item_names, args.seed
            )
        else:
            convert_lightgcn_txt(
                args.src, args.name, args.out, args.valid_ratio, args.seed, args.profile_ids, args.valid_from
            )
    except (ConversionError, ProfileError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
