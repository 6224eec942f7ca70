"""``uid iid iid ...`` text splits (LightGCN / CoLaKG layout) with id maps, LLM profiles and MovieLens side files."""

import os

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.convert.common import (
    ConversionError,
    carve_validation,
    report_leakage,
    split_test_for_validation,
    write_split_config,
    write_splits,
)
from recbole_darec.filenames import text_path
from recbole_darec.profiles.sources import (
    construct_user_texts,
    describe_rows,
    import_texts,
    read_id_map,
    read_side_table,
)
from recbole_darec.profiles.texts import write_texts


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
