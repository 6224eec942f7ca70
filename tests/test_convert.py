"""Converters for fixed splits, their error messages, and the RLMRec test-masking protocol."""

import json
import os
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from recbole_darec.config import Config
from recbole_darec.convert import ConversionError, convert_lightgcn_txt, convert_rlmrec, main
from recbole_darec.profiles.texts import read_texts


def count_lines(path):
    with open(path) as f:
        return sum(1 for _ in f) - 1


def save_matrix(path, matrix):
    with open(path, "wb") as f:
        pickle.dump(sp.coo_matrix(matrix), f)


def test_amazon_book_converts_with_the_published_counts(tmp_path, shared_dataset):
    convert_rlmrec(shared_dataset("amazon-book-rlmrec"), "amazon-book", str(tmp_path))
    folder = tmp_path / "amazon-book"
    counts = {s: count_lines(folder / f"amazon-book.{s}.inter") for s in ("train", "valid", "test")}
    assert counts == {"train": 120464, "valid": 40290, "test": 40106}
    users, items = set(), set()
    for split in ("train", "valid", "test"):
        with open(folder / f"amazon-book.{split}.inter") as f:
            next(f)
            for line in f:
                u, i = line.split()
                users.add(u)
                items.add(i)
    assert len(users) == 11000 and len(items) == 9332


def test_lastfm_and_implicit_movielens_convert_with_their_llm_texts(tmp_path, shared_dataset):
    convert_lightgcn_txt(shared_dataset("lastfm-colakg"), "lastfm", str(tmp_path), valid_from="train")
    lastfm = tmp_path / "lastfm"
    assert count_lines(lastfm / "lastfm.test.inter") == 13508
    assert count_lines(lastfm / "lastfm.train.inter") + count_lines(lastfm / "lastfm.valid.inter") == 57786
    users = read_texts(str(lastfm / "lastfm.uprofile.jsonl"))
    assert len(users) == 1859 and "2" in users  # raw id 2 is mapped id 0
    with open(os.path.join(shared_dataset("lastfm-colakg"), "llm_response_user.json")) as f:
        assert users["2"] == json.load(f)["0"]
    convert_lightgcn_txt(shared_dataset("ml-1m-colakg"), "ml-1m-implicit", str(tmp_path))
    ml = tmp_path / "ml-1m-implicit"
    items = read_texts(str(ml / "ml-1m-implicit.iprofile.jsonl"))
    assert items["1"].startswith('"Toy Story (1995)"')  # keyed by raw MovieID
    assert items["1122"].startswith("Movie title: Plutonium Circus")  # the one empty LLM text, constructed
    test, valid = count_lines(ml / "ml-1m-implicit.test.inter"), count_lines(ml / "ml-1m-implicit.valid.inter")
    assert test + valid == 197321 and count_lines(ml / "ml-1m-implicit.train.inter") == 801218


def write_txt(folder, train, test, user_map=None, item_map=None, valid=None):
    folder.mkdir(parents=True, exist_ok=True)
    if valid:
        (folder / "valid.txt").write_text("\n".join(" ".join(map(str, row)) for row in valid) + "\n")
    (folder / "train.txt").write_text("\n".join(" ".join(map(str, row)) for row in train) + "\n")
    (folder / "test.txt").write_text("\n".join(" ".join(map(str, row)) for row in test) + "\n")
    if user_map:
        (folder / "user_map.txt").write_text("".join(f"{raw} {m}\n" for raw, m in user_map.items()))
    if item_map:
        (folder / "item_map.txt").write_text("".join(f"{raw} {m}\n" for raw, m in item_map.items()))


def test_validation_is_carved_per_user_seeded_and_disjoint(tmp_path):
    train = [[u] + list(range(10)) for u in range(4)]
    write_txt(tmp_path / "src", train, [[u, 10 + u] for u in range(4)])
    convert_lightgcn_txt(str(tmp_path / "src"), "toy", str(tmp_path / "a"), valid_ratio=0.2, seed=1, valid_from="train")
    convert_lightgcn_txt(str(tmp_path / "src"), "toy", str(tmp_path / "b"), valid_ratio=0.2, seed=1, valid_from="train")
    a = (tmp_path / "a" / "toy" / "toy.valid.inter").read_text()
    assert a == (tmp_path / "b" / "toy" / "toy.valid.inter").read_text()  # seeded
    assert count_lines(tmp_path / "a" / "toy" / "toy.valid.inter") == 8  # 2 of each user's 10
    assert count_lines(tmp_path / "a" / "toy" / "toy.train.inter") == 32


def test_overlapping_splits_report_the_count(tmp_path):
    write_txt(tmp_path / "src", [[0, 1, 2, 3], [1, 1, 2]], [[0, 1, 2], [1, 5]], valid=[[0, 9], [1, 9]])
    with pytest.raises(ConversionError, match=r"2 \(user, item\) pair\(s\) are in both the train and the test"):
        convert_lightgcn_txt(str(tmp_path / "src"), "toy", str(tmp_path))


def test_ids_outside_the_maps_are_refused(tmp_path):
    write_txt(tmp_path / "src", [[0, 1, 2]], [[0, 3]], user_map={"u0": 0}, item_map={"a": 1, "b": 2})
    with pytest.raises(ConversionError, match="item id 3 is not in item_map.txt"):
        convert_lightgcn_txt(str(tmp_path / "src"), "toy", str(tmp_path))


def test_users_without_training_history_are_refused(tmp_path):
    write_txt(tmp_path / "src", [[0, 1, 2]], [[0, 3], [1, 4]], valid=[[0, 9]])
    with pytest.raises(ConversionError, match=r"1 user\(s\) appear in validation/test but have no training"):
        convert_lightgcn_txt(str(tmp_path / "src"), "toy", str(tmp_path))


def test_rlmrec_shape_mismatch_and_foreign_pickles_are_refused(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    save_matrix(src / "trn_mat.pkl", np.eye(4))
    save_matrix(src / "val_mat.pkl", np.eye(4)[:, ::-1])
    save_matrix(src / "tst_mat.pkl", np.ones((4, 5)))
    with pytest.raises(ConversionError, match="differ in shape"):
        convert_rlmrec(str(src), "toy", str(tmp_path))
    with open(src / "tst_mat.pkl", "wb") as f:
        pickle.dump(os.getcwd, f)
    assert main(["rlmrec", f"--src={src}", "--name=toy", f"--out={tmp_path}"]) == 2


def test_rlmrec_protocol_masks_only_training_items_at_test_time(tmp_path, base_config):
    """RecBole masks train and validation items when testing; test_history: train masks train only."""
    src = tmp_path / "src"
    write_txt(
        src,
        [[u, 0, 1, 2, 3, 4] for u in range(6)],
        [[u, 5 + u % 3] for u in range(6)],
        valid=[[u, 8 + u % 2] for u in range(6)],
    )
    convert_lightgcn_txt(str(src), "toy", str(tmp_path / "dataset"))
    from recbole_darec.quick_start import _build

    def history(mode):
        config = Config(
            model="LightGCN",
            dataset="toy",
            config_dict=base_config(
                tmp_path, benchmark_filename=["train", "valid", "test"], test_history=mode, embedding_size=4
            ),
        )
        dataset, _, train, _, test = _build(config)
        uid = dataset.token2id("user_id", "0")
        return set(dataset.id2token("item_id", test.uid2history_item[uid].numpy()).tolist())

    assert history("train_valid") == {"0", "1", "2", "3", "4", "8"}
    assert history("train") == {"0", "1", "2", "3", "4"}


def read_pairs(path):
    with open(path) as f:
        next(f)
        return {tuple(line.split()) for line in f}


def test_validation_from_test_is_half_of_each_users_test_items(tmp_path):
    train = [[u] + list(range(10)) for u in range(4)]
    test = [[0, 10, 11, 12, 13], [1, 10, 11, 12], [2, 10], [3, 11, 12]]
    write_txt(tmp_path / "src", train, test)
    for out in ("a", "b"):
        convert_lightgcn_txt(str(tmp_path / "src"), "toy", str(tmp_path / out), seed=3)
    folder = tmp_path / "a" / "toy"
    valid, kept = read_pairs(folder / "toy.valid.inter"), read_pairs(folder / "toy.test.inter")
    assert valid == read_pairs(tmp_path / "b" / "toy" / "toy.valid.inter")  # seeded
    per_user = {u: sum(1 for v, _ in valid if v == u) for u in "0123"}
    assert per_user == {"0": 2, "1": 1, "2": 0, "3": 1}  # half, rounded down: a single test item stays in test
    original = {(str(row[0]), str(i)) for row in test for i in row[1:]}
    assert valid | kept == original and not valid & kept
    assert count_lines(folder / "toy.train.inter") == 40  # all of train.txt


def test_a_converted_split_runs_under_any_name_with_no_flags(tmp_path, run_cli):
    """The split's settings (benchmark files, columns, test masking) travel with the data in <name>.yaml."""
    src = tmp_path / "src"
    # 24 items, so every cut-off (topk up to 20) exists
    write_txt(
        src, [[u] + [(3 * u + k) % 24 for k in range(6)] for u in range(8)], [[u, (3 * u + 7) % 24] for u in range(8)]
    )
    assert (
        main(
            [
                "lightgcn-txt",
                f"--src={src}",
                "--name=mybooks",
                f"--out={tmp_path / 'dataset'}",
                "--valid_from=train",
                "--valid_ratio=0.2",
            ]
        )
        == 0
    )
    settings = (tmp_path / "dataset" / "mybooks" / "mybooks.yaml").read_text()
    assert "benchmark_filename: [train, valid, test]" in settings and "test_history: train_valid" in settings
    config = Config(model="LightGCN", dataset="mybooks", config_dict={"data_path": str(tmp_path / "dataset")})
    assert config["benchmark_filename"] == ["train", "valid", "test"] and config["test_history"] == "train_valid"
    result = run_cli(
        "run_recbole_darec.py",
        "--model=LightGCN",
        "--dataset=mybooks",
        "--epochs=1",
        f"--data_path={tmp_path / 'dataset'}",
        f"--checkpoint_dir={tmp_path / 'saved'}",
        "--show_progress=False",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "test result: {" in result.stdout


def test_rlmrec_split_settings_mask_training_items_only(tmp_path):
    dense = np.zeros((4, 6))
    dense[:, 0] = dense[:, 1] = 1
    valid, test = np.zeros((4, 6)), np.zeros((4, 6))
    valid[:, 2], test[:, 3] = 1, 1
    for name, matrix in (("trn_mat.pkl", dense), ("val_mat.pkl", valid), ("tst_mat.pkl", test)):
        save_matrix(tmp_path / name, matrix)
    convert_rlmrec(str(tmp_path), "books", str(tmp_path / "dataset"))
    config = Config(model="LightGCN", dataset="books", config_dict={"data_path": str(tmp_path / "dataset")})
    assert config["test_history"] == "train" and config["benchmark_filename"] == ["train", "valid", "test"]


def write_labelled(folder, train, test, profiles=None, names=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.tsv").write_text("".join(f"{u}\t{i}\t{label}\n" for u, i, label in train))
    (folder / "test.tsv").write_text("".join(f"{u}\t{i}\t{label}\n" for u, i, label in test))
    if profiles is not None:
        (folder / "users.jsonl").write_text(
            "".join(json.dumps({"user_id": int(u), "profile": text}) + "\n" for u, text in profiles.items())
        )
    if names is not None:
        (folder / "items.tsv").write_text(
            "".join(f"{i}\t{name};http://dbpedia.org/resource/{i}\n" for i, name in names)
        )


def test_labelled_tsv_keeps_liked_rows_halves_the_test_file_and_counts_what_it_leaves(tmp_path, capsys):
    from recbole_darec.convert import convert_labelled_tsv
    from recbole_darec.profiles.audit import audit_folder

    train = [(u, i, 1) for u in ("0", "1", "2") for i in ("10", "11", "12")] + [("0", "13", 0), ("3", "10", 0)]
    test = [("0", "14", 1), ("0", "15", 1), ("1", "14", 1), ("1", "16", 1), ("1", "17", 1), ("2", "11", 0)]
    profiles = {"0": "Loves Dune and Emma.", "1": "Reads War and Peace.", "2": "Likes Emma.", "3": "Never liked one."}
    names = [("10", "Dune"), ("11", "Emma"), ("12", "War and Peace"), ("13", "Ulysses"), ("14", "Persuasion")]
    src = tmp_path / "src"
    write_labelled(src, train, test, profiles, names)
    convert_labelled_tsv(str(src), "books", str(tmp_path), "train.tsv", "test.tsv", "users.jsonl", "items.tsv", seed=1)
    out = capsys.readouterr().out
    folder = tmp_path / "books"
    splits = {}
    for split in ("train", "valid", "test"):
        lines = (folder / f"books.{split}.inter").read_text().splitlines()
        splits[split] = [tuple(line.split("\t")) for line in lines[1:]]
    assert sorted(splits["train"]) == sorted((u, i) for u, i, label in train if label == 1)
    held_out = splits["valid"] + splits["test"]
    assert sorted(held_out) == sorted((u, i) for u, i, label in test if label == 1)  # label 0: no interaction
    assert (
        len([p for p in splits["valid"] if p[0] == "0"]) == 1 and len([p for p in splits["valid"] if p[0] == "1"]) == 1
    )
    assert "2 training and 1 test rows labelled 0" in out
    assert "5 of 5 held-out interactions are on 4 cold items" in out  # 14-17 were never liked in training
    assert "3 held-out item(s) have no name (3 interactions kept" in out  # 15, 16, 17: zero profile vectors
    assert "profile_allow_missing: True" in (folder / "books.yaml").read_text()
    users = read_texts(str(folder / "books.uprofile.jsonl"))
    assert set(users) == {"0", "1", "2"} and "1 profiled user(s) have no liked training item" in out
    assert read_texts(str(folder / "books.iprofile.jsonl"))["12"] == "War and Peace"  # the URI is not in the name
    report = audit_folder(str(folder), "books", splits)
    assert report["train"] == {
        "interactions": 9,
        "checked": 9,
        "named": 4,
        "rate": 4 / 9,
    }  # Dune, Emma (x2), War and Peace


def test_labelled_tsv_errors_name_the_file_and_line(tmp_path):
    from recbole_darec.convert import convert_labelled_tsv

    src = tmp_path / "src"
    write_labelled(src, [("0", "10", 1), ("0", "10", 0)], [("0", "11", 1)])
    with pytest.raises(ConversionError, match=r"train.tsv, line 2: user 0, item 10 is already on line 1"):
        convert_labelled_tsv(str(src), "b", str(tmp_path), "train.tsv", "test.tsv")
    write_labelled(src, [("0", "10", 2)], [("0", "11", 1)])
    with pytest.raises(ConversionError, match=r"train.tsv, line 1: expected 'user<TAB>item<TAB>label' with label 1"):
        convert_labelled_tsv(str(src), "b", str(tmp_path), "train.tsv", "test.tsv")
    test = [("0", "11", 1), ("0", "13", 1)]  # one to validation, one to test
    write_labelled(src, [("0", "10", 1), ("1", "12", 1)], test, {"0": "x"}, [("10", "Dune")])
    with pytest.raises(ConversionError, match=r"names no item 12 of the training file"):
        convert_labelled_tsv(str(src), "b", str(tmp_path), "train.tsv", "test.tsv", "users.jsonl", "items.tsv")
    write_labelled(src, [("0", "10", 1), ("1", "10", 1)], test, {"0": "x"}, [("10", "Dune")])
    with pytest.raises(ConversionError, match=r"no profile for 1 user\(s\) of the splits \(e.g. \['1'\]\)"):
        convert_labelled_tsv(str(src), "b", str(tmp_path), "train.tsv", "test.tsv", "users.jsonl", "items.tsv")


def test_dbbook_converts_with_its_published_figures(tmp_path, shared_dataset, capsys):
    import json as json_module

    from recbole_darec.profiles.__main__ import main as profiles_main

    assert main(["dbbook", f"--src={shared_dataset('dbbook-llm-profiles')}", "--name=dbbook", f"--out={tmp_path}"]) == 0
    folder = tmp_path / "dbbook"
    assert count_lines(folder / "dbbook.train.inter") == 33176
    assert count_lines(folder / "dbbook.valid.inter") + count_lines(folder / "dbbook.test.inter") == 35013
    capsys.readouterr()
    assert profiles_main(["audit", "--dataset=dbbook", f"--data_path={tmp_path}", "--format=json"]) == 0
    report = json_module.loads(capsys.readouterr().out)
    assert report["flagged"] == [] and abs(report["train"]["rate"] - 0.193) < 0.005
    assert report["valid"]["rate"] < 0.01 and report["test"]["rate"] < 0.01
