"""Profiles: every text source, encoding and its cache, attachment traps, validation errors."""

import json
import logging
import os
import pickle

import numpy as np
import pytest

from recbole_darec.data import AtomicFileError, DatasetError, create_dataset
from recbole_darec.filenames import text_path
from recbole_darec.profiles import ProfileError, build_texts, ensure_profile_embeddings, training_pairs
from recbole_darec.profiles.sources import import_texts
from recbole_darec.profiles.texts import read_texts, write_texts


class FakeEncoder:
    """Deterministic stand-in for the sentence encoder, so cache tests need no model."""

    name = "fake"

    def __init__(self, tag="v1", dim=8):
        self.tag, self.dim, self.calls = tag, dim, 0

    def cache_key(self):
        return {"encoder": self.name, "encoder_sha256": self.tag, "normalize": False}

    def encode(self, texts, show_progress=False):
        self.calls += 1
        return np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dim) for t in texts])

    def estimate_seconds(self, texts):
        return 0.0


def read_emb(path):
    with open(path) as f:
        header = f.readline()
        rows = [line.rstrip("\n").split("\t") for line in f]
    return header, {r[0]: np.array(r[1].split(), dtype=float) for r in rows}


@pytest.mark.slow
def test_profiles_cli_writes_ml100k_vectors_and_reuses_the_cache(ml100k_profiles, run_cli):
    folder = ml100k_profiles / "ml-100k"
    header, users = read_emb(folder / "ml-100k.useremb")
    _, items = read_emb(folder / "ml-100k.itememb")
    assert header == "uid:token\tuser_emb:float_seq\n"
    assert len(users) == 943 and len(items) == 1682
    assert {v.shape for v in users.values()} == {(384,)} and {v.shape for v in items.values()} == {(384,)}
    assert all(np.isfinite(v).all() for v in list(users.values()) + list(items.values()))
    again = run_cli("-m", "recbole_darec.profiles", "--dataset=ml-100k", f"--data_path={ml100k_profiles}")
    assert again.returncode == 0 and "user: cached" in again.stdout and "item: cached" in again.stdout


def test_constructed_user_profiles_use_training_interactions_only(tmp_path, config_for):
    config = config_for(tmp_path, profile_user_items=100000)
    pairs = training_pairs(config)
    texts = build_texts(config, ["user", "item"], source="construct")
    per_user = {}
    for user, _ in pairs:
        per_user[user] = per_user.get(user, 0) + 1
    total = sum(1 for line in open(os.path.join(config["data_path"], "ml-100k.inter"))) - 1
    assert len(pairs) < 0.85 * total  # the 80% training split, not all interactions
    for user, count in per_user.items():
        assert f"Interacted with {count} items in training." in texts["user"][user]
    assert texts["item"]["1"].startswith("Movie title: Toy Story. Release year: 1995. Class: Animation")
    assert read_texts(text_path(config["data_path"], "ml-100k", "user")) == texts["user"]


def test_training_split_matches_the_run(tmp_path, config_for):
    """The pairs profiles are built from are exactly the training split RecBole uses in a run."""
    from recbole.data import data_preparation
    from recbole.utils import init_seed

    config = config_for(tmp_path)
    pairs = set(training_pairs(config))
    init_seed(config["seed"], config["reproducibility"])
    dataset = create_dataset(config)
    train, _, _ = data_preparation(config, dataset)
    inter = train._dataset.inter_feat
    run_pairs = set(
        zip(
            dataset.id2token("user_id", inter["user_id"].numpy()).tolist(),
            dataset.id2token("item_id", inter["item_id"].numpy()).tolist(),
        )
    )
    assert pairs == run_pairs


def test_import_json_with_id_map_rlmrec_pickle_and_csv(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps({"0": "likes jazz", "1": "likes rock"}))
    (tmp_path / "map.txt").write_text("u7 0\nu9 1\n")
    assert import_texts(str(tmp_path / "p.json"), {"0": "u7", "1": "u9"}) == {"u7": "likes jazz", "u9": "likes rock"}
    with open(tmp_path / "usr_prf.pkl", "wb") as f:
        pickle.dump({3: {"profile": "a profile", "reasoning": "why"}}, f)
    assert import_texts(str(tmp_path / "usr_prf.pkl")) == {"3": "a profile"}
    (tmp_path / "p.csv").write_text('id,text\n5,"text, with comma"\n')
    assert import_texts(str(tmp_path / "p.csv")) == {"5": "text, with comma"}


def test_profile_pickle_with_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with open(tmp_path / "evil.pkl", "wb") as f:
        pickle.dump({1: Payload()}, f)
    with pytest.raises(ProfileError, match="nothing was executed"):
        import_texts(str(tmp_path / "evil.pkl"))
    assert not marker.exists()


@pytest.mark.slow
def test_generated_profiles_with_a_tiny_random_causal_lm(tmp_path, config_for):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    words = ["[UNK]", "[EOS]"] + sorted({w for w in "the user item likes movies music drama comedy profile".split()})
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", eos_token="[EOS]")
    model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(words), n_positions=512, n_embd=16, n_layer=1, n_head=2, eos_token_id=1, bos_token_id=1
        )
    )
    model.generation_config.suppress_tokens = [0, 1]  # random weights: keep it from emitting only specials
    model_dir = tmp_path / "tiny-lm"
    model.save_pretrained(model_dir)
    fast.save_pretrained(model_dir)
    config = config_for(tmp_path, profile_generator=str(model_dir), profile_generator_max_new_tokens=4)
    config["additional_feat_suffix"] = None
    # keep the test small: 30 users' interactions only
    inter = os.path.join(config["data_path"], "ml-100k.inter")
    lines = open(inter).read().splitlines()
    keep = [lines[0]] + [line for line in lines[1:] if int(line.split("\t")[0]) <= 30]
    open(inter, "w").write("\n".join(keep) + "\n")
    texts = build_texts(config, ["user", "item"], source="generate")
    assert len(texts["user"]) == 30
    assert all(t.strip() for t in texts["user"].values()) and all(t.strip() for t in texts["item"].values())


def test_cache_reencodes_when_texts_or_encoder_change(tmp_path, config_for):
    config = config_for(tmp_path)
    encoder = FakeEncoder()
    assert ensure_profile_embeddings(config, encoder=encoder) == {"user": "encoded", "item": "encoded"}
    assert ensure_profile_embeddings(config, encoder=encoder) == {"user": "cached", "item": "cached"}
    path = text_path(config["data_path"], "ml-100k", "item")
    texts = read_texts(path)
    texts["1"] = "A different profile for item 1."
    write_texts(path, texts, "edited")
    assert ensure_profile_embeddings(config, encoder=encoder) == {"user": "cached", "item": "encoded"}
    _, items = read_emb(os.path.join(config["data_path"], "ml-100k.itememb"))
    assert np.allclose(items["1"], FakeEncoder().encode(["A different profile for item 1."])[0], atol=1e-5)
    assert ensure_profile_embeddings(config, encoder=FakeEncoder("v2")) == {"user": "encoded", "item": "encoded"}
    elsewhere = FakeEncoder("v2")
    elsewhere.name = "/another/folder/fake"  # the same files under another path: the same encoder
    assert ensure_profile_embeddings(config, encoder=elsewhere) == {"user": "cached", "item": "cached"}


def test_vectors_of_another_encoder_are_kept_and_restored_not_reencoded(tmp_path, config_for):
    config = config_for(tmp_path)
    items_file = os.path.join(config["data_path"], "ml-100k.itememb")
    first, second = FakeEncoder("v1"), FakeEncoder("v2", dim=4)  # each encodes once per kind: 2 calls
    assert ensure_profile_embeddings(config, encoder=first) == {"user": "encoded", "item": "encoded"}
    header, first_items = read_emb(items_file)
    assert ensure_profile_embeddings(config, encoder=second) == {"user": "encoded", "item": "encoded"}
    assert len(os.listdir(items_file + ".previous")) == 2  # v1's vectors and meta file, kept
    assert ensure_profile_embeddings(config, encoder=first) == {"user": "restored", "item": "restored"}
    restored_header, restored_items = read_emb(items_file)
    assert first.calls == 2 and restored_header == header and restored_items.keys() == first_items.keys()
    assert all(np.array_equal(restored_items[i], first_items[i]) for i in first_items)
    assert ensure_profile_embeddings(config, encoder=second) == {"user": "restored", "item": "restored"}
    assert second.calls == 2 and len(next(iter(read_emb(items_file)[1].values()))) == 4
    assert ensure_profile_embeddings(config, encoder=second) == {"user": "cached", "item": "cached"}
    assert len(os.listdir(items_file + ".previous")) == 2  # v1's again, not a copy per switch


def test_interrupted_write_leaves_no_trusted_half_file(tmp_path, monkeypatch, config_for):
    config = config_for(tmp_path)

    class Crash(FakeEncoder):
        def encode(self, texts, show_progress=False):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure_profile_embeddings(config, encoder=Crash())
    leftovers = [f for f in os.listdir(config["data_path"]) if "emb" in f]
    assert leftovers == []
    assert ensure_profile_embeddings(config, encoder=FakeEncoder()) == {"user": "encoded", "item": "encoded"}


def test_vectors_align_with_internal_ids(tmp_path, ml100k_profiles, copy_dataset, config_for):
    copy_dataset(ml100k_profiles, tmp_path / "dataset")
    config = config_for(tmp_path, model="DaRecLightGCN")
    dataset = create_dataset(config)
    matrix = dataset.profile_matrix("item").numpy()
    _, items = read_emb(tmp_path / "dataset" / "ml-100k" / "ml-100k.itememb")
    internal = dataset.token2id("item_id", "50")
    assert np.allclose(matrix[internal], items["50"], atol=1e-6)
    assert matrix.shape == (1683, 384) and not matrix[0].any()  # row 0 is RecBole's padding


def test_unknown_vector_ids_are_dropped_not_invented(tmp_path, caplog, write_random_embeddings, config_for):
    config = config_for(tmp_path)
    folder = config["data_path"]
    write_random_embeddings(folder, "ml-100k", "user", list(range(1, 944)) + [99999, 99998])
    write_random_embeddings(folder, "ml-100k", "item", range(1, 1683))
    with caplog.at_level(logging.WARNING):
        dataset = create_dataset(config_for(tmp_path, model="DaRecLightGCN"))
    assert dataset.user_num == 944 and dataset.item_num == 1683
    assert "dropped 2 vector(s)" in caplog.text and "99999" in caplog.text


def test_missing_vectors_fail_unless_zero_filling_is_allowed(tmp_path, write_random_embeddings, config_for):
    config = config_for(tmp_path)
    folder = config["data_path"]
    write_random_embeddings(folder, "ml-100k", "user", range(3, 944))
    write_random_embeddings(folder, "ml-100k", "item", range(1, 1683))
    with pytest.raises(DatasetError, match=r"2 user\(s\).*no vector.*profile_allow_missing"):
        create_dataset(config_for(tmp_path, model="DaRecLightGCN"))
    dataset = create_dataset(config_for(tmp_path, model="DaRecLightGCN", profile_allow_missing=True))
    matrix = dataset.profile_matrix("user").numpy()
    assert not matrix[dataset.token2id("user_id", "1")].any() and matrix[dataset.token2id("user_id", "5")].any()


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


@pytest.mark.parametrize(
    "body, message",
    [
        ("1\t0.1 nan 0.3\n", "NaN and infinite"),
        ("1\t0.1 inf 0.3\n", "NaN and infinite"),
        ("1\t0.1 0.2 0.3\n2\t0.1 0.2\n", "line 3: field 'user_emb' has 2 values, but line 2 has 3"),
        ("1\t0.1 0.2 0.3\n1\t0.1 0.2 0.3\n", "line 3: duplicate uid"),
        ("1\t0.1 abc 0.3\n", "line 2: field 'user_emb' holds 'abc', not a number"),
        ("1\t0.1 0.2\textra\n", "line 2: 3 columns, but the header declares 2"),
    ],
)
def test_bad_embedding_files_are_refused_with_file_and_line(
    tmp_path, body, message, write_random_embeddings, config_for
):
    config = config_for(tmp_path)
    folder = config["data_path"]
    write_file(os.path.join(folder, "ml-100k.useremb"), "uid:token\tuser_emb:float_seq\n" + body)
    write_random_embeddings(folder, "ml-100k", "item", range(1, 1683), dim=3)
    with pytest.raises(AtomicFileError, match="ml-100k.useremb") as err:
        create_dataset(config_for(tmp_path, model="DaRecLightGCN", profile_allow_missing=True))
    assert message in str(err.value)


def test_mixed_user_and_item_dimensions_are_refused(tmp_path, base_config, write_random_embeddings, config_for):
    from recbole_darec.quick_start import run_recbole_darec

    config = config_for(tmp_path)
    write_random_embeddings(config["data_path"], "ml-100k", "user", range(1, 944), dim=8)
    write_random_embeddings(config["data_path"], "ml-100k", "item", range(1, 1683), dim=6)
    with pytest.raises(Exception, match="8 dimensions and item vectors 6"):
        run_recbole_darec("DaRecLightGCN", "ml-100k", config_dict=base_config(tmp_path))


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "1", "text": ""}', "line 1: empty profile text"),
        ('{"id": "1", "text": "a"}\n{"id": "1", "text": "b"}', "line 2: duplicate id '1'"),
        ('{"id": "1", "text": "a"', "line 1: not valid JSON"),
        (
            '{"id": "1", "text": "a\tb"}',
            "line 1: not valid JSON at column 23 (Invalid control character; a tab or line",
        ),
        ('{"text": "a"}', 'line 1: needs the keys "id" and "text"'),
    ],
)
def test_bad_profile_text_files_are_refused_with_line_numbers(tmp_path, line, message):
    path = tmp_path / "x.uprofile.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(ProfileError, match="x.uprofile.jsonl") as err:
        read_texts(str(path))
    assert message in str(err.value)


def test_empty_imported_profile_is_refused(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps({"1": "fine", "2": "  "}))
    with pytest.raises(ProfileError, match="id '2' is empty"):
        import_texts(str(tmp_path / "p.json"))


def test_lastfm_json_profiles_import_through_their_maps(tmp_path, shared_dataset):
    src = shared_dataset("lastfm-colakg")
    texts = import_texts(
        os.path.join(src, "llm_response_user.json"),
        dict(line.split()[::-1] for line in open(os.path.join(src, "user_map.txt")) if line.strip()),
    )
    assert len(texts) == 1859 and texts["2"].startswith("The user has a strong preference for artists")


@pytest.mark.slow
def test_the_packaged_encoder_writes_the_same_vector_file_at_any_thread_count(tmp_path):
    """float64 inside the encoder, 7 digits in the file: the thread count (and, measured, the instruction set)
    leaves the bytes unchanged; the computation is part of the cache key, so float32-era caches re-encode."""
    from recbole_darec.profiles import write_embedding_file
    from recbole_darec.profiles.encoder import COMPUTATION, TextEncoder

    texts = [
        f"A listener of {genre} who also enjoys artist number {i}." for i, genre in enumerate(["jazz", "rock"] * 8)
    ]
    files = []
    for threads in (1, 2):
        encoder = TextEncoder(threads=threads)
        vectors = encoder.encode(texts, show_progress=False)
        assert vectors.dtype == np.float64 and encoder.cache_key()["computation"] == COMPUTATION
        path = tmp_path / f"threads{threads}.itememb"
        write_embedding_file(str(path), "item", [str(i) for i in range(len(texts))], vectors)
        files.append(path.read_bytes())
    assert files[0] == files[1]


def test_a_user_without_a_profile_is_refused_before_anything_is_encoded(tmp_path, config_for):
    config = config_for(tmp_path)
    path = text_path(config["data_path"], "ml-100k", "user")
    ensure_profile_embeddings(config, kinds=("user",), encoder=FakeEncoder())  # writes the constructed texts
    texts = read_texts(path)
    del texts["7"]
    write_texts(path, texts, "edited")

    class Refusing(FakeEncoder):
        def encode(self, texts, show_progress=True):
            raise AssertionError("encoded before the missing profile was found")

    with pytest.raises(ProfileError, match=r"1 user\(s\) of 'ml-100k' have no profile text .*\(e\.g\. 7\)"):
        ensure_profile_embeddings(config, kinds=("user",), encoder=Refusing(), source="import", user_src=path)
