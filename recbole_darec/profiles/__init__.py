"""LLM profiles: one text per user and item, encoded to vectors, attached as RecBole atomic files.

Files beside the dataset (all generated, git-ignored):

* ``<dataset>.uprofile.jsonl`` / ``.iprofile.jsonl``: the texts (see :mod:`.texts`);
* ``<dataset>.useremb`` / ``.itememb``: RecBole atomic files ``uid:token user_emb:float_seq``
  (``iid`` / ``item_emb`` for items) read through ``additional_feat_suffix``;
* ``<dataset>.useremb.meta.json`` (and item): the cache key: texts hash, encoder name,
  encoder files hash and normalisation. Vectors are re-encoded whenever it differs;
* ``<dataset>.useremb.previous/`` (and item): vectors replaced by a re-encoding (another encoder, edited
  texts), kept with their meta file and restored instead of re-encoded when their key is asked for again,
  so switching encoders back and forth never throws away an encoding (mpnet on DBbook takes 30 minutes).

An embedding file without a meta file was supplied by the user and is used as is.
"""

import copy
import glob
import hashlib
import json
import os
from logging import getLogger

import numpy as np
from recbole.utils import init_seed

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.filenames import VECTOR_FIELDS, text_path, vector_path
from recbole_darec.profiles.encoder import DEFAULT_ENCODER, TextEncoder
from recbole_darec.profiles.sources import (
    ProfileGenerator,
    construct_item_texts,
    construct_user_texts,
    describe_rows,
    import_texts,
    read_id_map,
    read_side_table,
)
from recbole_darec.profiles.texts import ProfileError, read_texts, texts_digest, write_texts

SOURCES = ("auto", "import", "construct", "generate")


def emb_path(config, kind):
    return vector_path(config["data_path"], config["dataset"], kind)


def _meta_path(config, kind):
    return emb_path(config, kind) + ".meta.json"


def profile_vectors(dataset, kind):
    """Float tensor [n, d] of the ``kind`` profile vectors in ``dataset``'s internal id order (row 0, [PAD],
    zeros), read from the vector file beside the dataset whether or not the model read it: lets any
    model's embeddings be compared with the profiles (``python -m recbole_darec.evaluate --alignment``)."""
    import torch

    from recbole_darec.data.atomic import read_header, validate_atomic_file

    path = vector_path(dataset.dataset_path, dataset.dataset_name, kind)
    if not os.path.isfile(path):
        raise ProfileError(
            f"{path}: no {kind} profile vectors; make them with "
            f"python -m recbole_darec.profiles --dataset={dataset.dataset_name}."
        )
    id_field, vector_field = VECTOR_FIELDS[kind]
    validate_atomic_file(path, unique_key=(id_field,))
    names = [name for name, _ in read_header(path)]
    id_column, vector_column = names.index(id_field), names.index(vector_field)
    vectors = {}
    with open(path, encoding="utf-8") as f:
        f.readline()
        for line in f:
            if line.strip():
                columns = line.rstrip("\r\n").split("\t")
                vectors[columns[id_column]] = np.asarray(columns[vector_column].split(), dtype=np.float32)
    field = dataset.uid_field if kind == "user" else dataset.iid_field
    tokens = dataset.field2id_token[field][1:]
    missing = [t for t in tokens if t not in vectors]
    if missing and not dataset.config["profile_allow_missing"]:
        raise ProfileError(
            f"{path}: no vector for {len(missing)} {kind}(s) of the dataset (e.g. {', '.join(missing[:5])}); "
            "re-encode the profiles, or set profile_allow_missing: True to give them zero vectors."
        )
    dim = len(next(iter(vectors.values())))
    zeros = np.zeros(dim, dtype=np.float32)  # [PAD], and ids without a vector where the dataset allows it
    return torch.from_numpy(np.stack([zeros] + [vectors.get(t, zeros) for t in tokens]))


def split_pairs(config):
    """``{split: [(raw user, raw item), ...]}`` for train, valid and test, exactly as a run with ``config`` splits."""
    from recbole_darec.data.dataset import Dataset

    plain = copy.copy(config)
    plain.final_config_dict = dict(
        config.final_config_dict,
        additional_feat_suffix=None,
        preload_weight=None,
        alias_of_user_id=None,
        alias_of_item_id=None,
    )
    init_seed(config["seed"], config["reproducibility"])  # the same permutation the run will draw
    dataset = Dataset(plain)
    result = {}
    for split, part in zip(("train", "valid", "test"), dataset.build()):
        users = dataset.id2token(dataset.uid_field, part.inter_feat[dataset.uid_field].numpy())
        items = dataset.id2token(dataset.iid_field, part.inter_feat[dataset.iid_field].numpy())
        result[split] = list(zip(users.tolist(), items.tolist()))
    return result


def training_pairs(config):
    """(raw user, raw item) pairs of the training split exactly as a run with ``config`` will split it."""
    return split_pairs(config)["train"]


def audit_profiles(config, names_file=None):
    """The leakage audit (:mod:`.audit`) of ``config``'s dataset: its user profile texts against its splits."""
    from recbole_darec.profiles.audit import audit_folder

    folder, dataset = config["data_path"], config["dataset"]
    user_path = text_path(folder, dataset, "user")
    if not os.path.isfile(user_path):
        raise ProfileError(
            f"no user profile texts at {user_path}: import or build them first "
            f"(python -m recbole_darec.profiles --dataset={dataset})."
        )
    return audit_folder(folder, dataset, split_pairs(config), config["ITEM_ID_FIELD"], names_file)


def _side_table(config, kind):
    path = os.path.join(config["data_path"], f"{config['dataset']}.{kind}")
    field = config["USER_ID_FIELD"] if kind == "user" else config["ITEM_ID_FIELD"]
    return read_side_table(path, field) if os.path.isfile(path) else None


def build_texts(config, kinds, source="auto", user_src=None, item_src=None, user_map=None, item_map=None):
    """Load or make the profile texts of ``kinds`` and write them beside the dataset. Returns {kind: texts}."""
    if source not in SOURCES:
        raise ProfileError(f"unknown profile source '{source}'; use one of {', '.join(SOURCES)}.")
    logger = getLogger()
    paths = {k: text_path(config["data_path"], config["dataset"], k) for k in kinds}
    result = {}
    if source == "auto":
        for kind in kinds:
            if os.path.isfile(paths[kind]):
                result[kind] = read_texts(paths[kind])
        missing = [k for k in kinds if k not in result]
        if not missing:
            return result
        kinds, source = missing, "construct"
    if source == "import":
        srcs = {"user": (user_src, user_map), "item": (item_src, item_map)}
        for kind in kinds:
            src, id_map = srcs[kind]
            if not src:
                raise ProfileError(f"--source=import needs --{kind}_src=<file> for the {kind} profiles.")
            result[kind] = import_texts(src, read_id_map(id_map) if id_map else None)
            write_texts(paths[kind], result[kind], f"import:{os.path.basename(src)}")
        return result
    item_table = _side_table(config, "item")
    pairs = training_pairs(config) if "user" in kinds else []
    if source == "generate":
        if not config["profile_generator"]:
            raise ProfileError("--source=generate needs --profile_generator=<causal LM name or local path>.")
        info = describe_rows(item_table) if item_table is not None else {}
        for _, item in pairs:
            info.setdefault(item, f"item {item}")
        generator = ProfileGenerator(config["profile_generator"], config["profile_generator_max_new_tokens"])
        users, items = generator.generate(info, pairs, config["profile_user_items"])
        made = {"user": users, "item": items}
    else:
        made = {}
        if "item" in kinds:
            if item_table is None:
                raise ProfileError(
                    f"cannot construct item profiles: {config['dataset']}.item is missing in "
                    f"{config['data_path']}; import LLM profiles with --source=import instead."
                )
            made["item"] = construct_item_texts(item_table)
        if "user" in kinds:
            made["user"] = construct_user_texts(
                pairs, _side_table(config, "user"), item_table, config["profile_user_items"]
            )
    for kind in kinds:
        result[kind] = made[kind]
        write_texts(paths[kind], made[kind], source)
        logger.info(f"wrote {len(made[kind])} {kind} profiles ({source}) to {paths[kind]}")
    return result


def write_embedding_file(path, kind, ids, vectors):
    """A RecBole atomic file with one float_seq vector per raw id, written atomically."""
    id_field, vec_field = VECTOR_FIELDS[kind]
    if not np.isfinite(vectors).all():
        bad = [ids[i] for i in np.flatnonzero(~np.isfinite(vectors).all(axis=1))[:5]]
        raise ProfileError(f"encoder produced NaN/inf vectors for {kind} ids {bad}; check those texts and the encoder.")
    lines = [f"{id_field}:token\t{vec_field}:float_seq\n"]
    lines += [f"{key}\t{' '.join(f'{x:.7g}' for x in row)}\n" for key, row in zip(ids, vectors)]
    atomic_write_text(path, "".join(lines))


def make_encoder(config):
    return TextEncoder(
        config["profile_encoder"] or DEFAULT_ENCODER,
        config["profile_encoder_revision"],
        threads=config["profile_encoder_threads"],
        batch_size=config["profile_encoder_batch_size"],
        normalize=config["profile_normalize"],
    )


def ensure_profile_embeddings(config, kinds=("user", "item"), force=False, encoder=None, **text_options):
    """Build texts and vectors of ``kinds`` unless a fresh cache exists.

    Returns ``{kind: "cached" | "restored" | "encoded" | "supplied"}``.
    """
    logger = getLogger()
    status = {}
    todo = []
    for kind in kinds:
        if os.path.isfile(emb_path(config, kind)) and not os.path.isfile(_meta_path(config, kind)) and not force:
            status[kind] = "supplied"
            logger.info(f"using user-supplied {emb_path(config, kind)} (no .meta.json beside it)")
        else:
            todo.append(kind)
    if not todo:
        return status
    texts = build_texts(config, todo, **text_options)
    encoder = encoder or make_encoder(config)
    for kind in todo:
        key = dict(encoder.cache_key(), texts_sha256=texts_digest(texts[kind]), count=len(texts[kind]))
        if not force and os.path.isfile(emb_path(config, kind)) and _same_vectors(_read_meta(config, kind), key):
            status[kind] = "cached"
            continue
        if not force and _restore_previous(config, kind, key):
            status[kind] = "restored"
            logger.info(f"restored {emb_path(config, kind)} ({key['encoder']}) from {_previous_dir(config, kind)}")
            continue
        _keep_as_previous(config, kind)
        ids = list(texts[kind])
        logger.info(f"encoding {len(ids)} {kind} profiles with {encoder.name}")
        vectors = encoder.encode([texts[kind][i] for i in ids], show_progress=config["show_progress"])
        write_embedding_file(emb_path(config, kind), kind, ids, vectors)
        atomic_write_text(_meta_path(config, kind), json.dumps(key, indent=1))
        status[kind] = "encoded"
    return status


def _same_vectors(meta, key):
    """Whether cached vectors (their ``.meta.json``) are what ``key`` would encode. The encoder is known by the
    sha256 of its files, not by the name or path it was given: the same model in another folder is a cache hit."""
    return meta is not None and {k: v for k, v in meta.items() if k != "encoder"} == {
        k: v for k, v in key.items() if k != "encoder"
    }


def _read_meta(config, kind):
    return _read_cache_key(_meta_path(config, kind))


def _read_cache_key(path):
    """A ``.meta.json`` cache key; None where it is missing or unreadable (the vectors are then not trusted)."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _previous_dir(config, kind):
    return emb_path(config, kind) + ".previous"


def _keep_as_previous(config, kind):
    """Move the encoded vectors on disk (with their meta file) into the ``.previous`` folder, named by their key.

    The vector file moves first, so an interruption leaves a meta file without vectors (re-encoded next
    time), never vectors without a meta file (which would be taken for user-supplied ones)."""
    meta = _read_meta(config, kind)
    if meta is None or not os.path.isfile(emb_path(config, kind)):
        return
    folder = _previous_dir(config, kind)
    os.makedirs(folder, exist_ok=True)
    stem = os.path.join(folder, hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16])
    os.replace(emb_path(config, kind), stem + ".emb")
    os.replace(_meta_path(config, kind), stem + ".meta.json")


def _restore_previous(config, kind, key):
    """Bring back kept vectors whose key matches (the current ones are kept in their place); False if none."""
    for meta_file in sorted(glob.glob(os.path.join(_previous_dir(config, kind), "*.meta.json"))):
        stem = meta_file[: -len(".meta.json")]
        if os.path.isfile(stem + ".emb") and _same_vectors(_read_cache_key(meta_file), key):
            _keep_as_previous(config, kind)
            os.replace(meta_file, _meta_path(config, kind))  # meta first: see _keep_as_previous
            os.replace(stem + ".emb", emb_path(config, kind))
            return True
    return False


__all__ = [
    "ProfileError",
    "ensure_profile_embeddings",
    "build_texts",
    "training_pairs",
    "split_pairs",
    "audit_profiles",
    "TextEncoder",
    "write_embedding_file",
    "emb_path",
    "DEFAULT_ENCODER",
]
