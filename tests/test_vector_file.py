"""The profile-vector cache: the same numbers as the text to the last bit, reused, rebuilt when stale or damaged."""

import numpy as np
import pytest
import torch

import recbole_darec.data.vector_file as vector_file
from recbole_darec.data.vector_file import read_vector_file


def write_vectors(path, rows, ids=None):
    ids = ids or [str(i + 1) for i in range(len(rows))]
    lines = ["uid:token\tuser_emb:float_seq\n"] + [
        f"{i}\t{' '.join(repr(float(x)) for x in r)}\n" for i, r in zip(ids, rows)
    ]
    path.write_text("".join(lines))


def test_the_vectors_are_the_texts_numbers_to_the_last_bit_and_the_second_read_is_the_cache(tmp_path, monkeypatch):
    rows = np.random.default_rng(0).standard_normal((50, 7)) * 10.0 ** np.arange(-3, 4)
    path = tmp_path / "d.useremb"
    write_vectors(path, rows)
    ids, matrix = read_vector_file(str(path), "uid", "user_emb")
    assert ids == [str(i + 1) for i in range(50)]
    assert np.array_equal(np.asarray(matrix), rows)  # repr round-trips, and each value is parsed with float()
    monkeypatch.setattr(vector_file, "parse_vector_file", lambda *a, **k: pytest.fail("parsed again"))
    again_ids, again = read_vector_file(str(path), "uid", "user_emb")
    assert isinstance(again, np.memmap) and again_ids == ids and np.array_equal(again, rows)


def test_a_stale_cache_is_not_used(tmp_path):
    path = tmp_path / "d.useremb"
    write_vectors(path, [[1.0, 2.0]])
    read_vector_file(str(path), "uid", "user_emb")
    write_vectors(path, [[3.0, 4.0], [5.0, 6.0]])  # the text changed: its sha256 no longer matches the cache's
    ids, matrix = read_vector_file(str(path), "uid", "user_emb")
    assert ids == ["1", "2"] and np.array_equal(matrix, [[3.0, 4.0], [5.0, 6.0]])


@pytest.mark.parametrize("damage", ["truncate", "meta"])
def test_a_damaged_cache_is_rebuilt_with_a_warning(tmp_path, caplog, damage):
    path = tmp_path / "d.useremb"
    write_vectors(path, [[1.0, 2.0], [3.0, 4.0]])
    read_vector_file(str(path), "uid", "user_emb")
    if damage == "truncate":
        cache = tmp_path / "d.useremb.cache.npy"
        cache.write_bytes(cache.read_bytes()[:-5])
    else:
        (tmp_path / "d.useremb.cache.json").write_text("{not json")
    ids, matrix = read_vector_file(str(path), "uid", "user_emb")
    assert np.array_equal(matrix, [[1.0, 2.0], [3.0, 4.0]])
    assert "unreadable vector cache" in caplog.text
    assert np.array_equal(read_vector_file(str(path), "uid", "user_emb")[1], [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("chunk", [65536, 7])  # the whole file at once, and read in chunks of 7 rows
def test_the_dataset_aligns_cached_vectors_with_internal_ids(
    tmp_path, config_for, write_random_embeddings, monkeypatch, chunk
):
    import recbole_darec.data.dataset as dataset_module
    from recbole_darec.data import create_dataset

    monkeypatch.setattr(dataset_module, "PROFILE_CHUNK", chunk)
    config = config_for(tmp_path)
    folder = config["data_path"]
    write_random_embeddings(folder, "ml-100k", "user", range(1, 944), dim=5, seed=1)
    # items in a shuffled order, with ids the interactions never name (dropped with a warning): the file's rows
    # are not the internal ids' order
    items = list(np.random.default_rng(3).permutation(np.arange(1, 1683))) + [5000, 5001]
    write_random_embeddings(folder, "ml-100k", "item", items, dim=5, seed=2)
    dataset = create_dataset(config_for(tmp_path, model="DaRecLightGCN"))
    text = {}
    with open(f"{folder}/ml-100k.itememb") as f:
        f.readline()
        for line in f:
            key, vector = line.rstrip("\n").split("\t")
            text[key] = [float(x) for x in vector.split()]
    matrix = dataset.profile_matrix("item", dtype=torch.float64).numpy()
    tokens = dataset.field2id_token[dataset.iid_field]
    assert matrix.shape == (len(tokens), 5) and "5000" not in tokens
    assert not matrix[0].any()  # [PAD]
    assert all(np.array_equal(matrix[i], text[tokens[i]]) for i in range(1, len(tokens)))
    assert torch.equal(dataset.profile_matrix("item"), torch.as_tensor(matrix, dtype=torch.float32))
