"""The profile vectors kept beside a dataset, with their cache key: one small object that knows its files.

* ``<dataset>.useremb`` / ``.itememb``: RecBole atomic files ``uid:token user_emb:float_seq`` (``iid`` /
  ``item_emb`` for items) read through ``additional_feat_suffix``;
* ``<file>.meta.json``: the cache key (texts hash, encoder name, encoder files hash, normalisation, computation);
  vectors are re-encoded whenever it differs;
* ``<file>.previous/``: vectors replaced by a re-encoding (another encoder, edited texts), kept with their meta
  file and restored instead of re-encoded when their key is asked for again, so switching encoders back and forth
  never throws away an encoding (mpnet on DBbook takes 30 minutes).

A vector file without a meta file was supplied by the user and is used as is.
"""

import glob
import hashlib
import json
import os

import numpy as np

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.filenames import VECTOR_FIELDS, vector_path
from recbole_darec.profiles.texts import ProfileError


def format_vector(row):
    """One vector as the files hold it: 7 significant digits, space-separated (what makes them byte-identical)."""
    return " ".join(f"{x:.7g}" for x in row)


def write_embedding_file(path, kind, ids, vectors):
    """A RecBole atomic file with one float_seq vector per raw id (7 significant digits), written atomically."""
    id_field, vec_field = VECTOR_FIELDS[kind]
    if not np.isfinite(vectors).all():
        bad = [ids[i] for i in np.flatnonzero(~np.isfinite(vectors).all(axis=1))[:5]]
        raise ProfileError(f"encoder produced NaN/inf vectors for {kind} ids {bad}; check those texts and the encoder.")
    lines = [f"{id_field}:token\t{vec_field}:float_seq\n"]
    lines += [f"{key}\t{format_vector(row)}\n" for key, row in zip(ids, vectors)]
    atomic_write_text(path, "".join(lines))


def read_cache_key(path):
    """A ``.meta.json`` cache key; None where it is missing or unreadable (the vectors are then not trusted)."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def same_vectors(meta, key):
    """Whether cached vectors (their ``.meta.json``) are what ``key`` would encode. The encoder is known by the
    sha256 of its files, not by the name or path it was given: the same model in another folder is a cache hit."""
    return meta is not None and {k: v for k, v in meta.items() if k != "encoder"} == {
        k: v for k, v in key.items() if k != "encoder"
    }


class VectorStore:
    """The ``kind`` (user or item) vectors of ``dataset`` in ``folder``."""

    def __init__(self, folder, dataset, kind):
        self.kind = kind
        self.path = vector_path(folder, dataset, kind)
        self.meta_path = self.path + ".meta.json"
        self.previous_dir = self.path + ".previous"

    def supplied(self):
        """Vectors without a meta file: the user's own, used as they are."""
        return os.path.isfile(self.path) and not os.path.isfile(self.meta_path)

    def holds(self, key):
        """Whether the vectors here are what ``key`` would encode."""
        return os.path.isfile(self.path) and same_vectors(read_cache_key(self.meta_path), key)

    def write(self, ids, vectors, key):
        """Store freshly encoded vectors under ``key``, keeping the ones they replace in the previous folder."""
        self.keep_as_previous()
        write_embedding_file(self.path, self.kind, ids, vectors)
        atomic_write_text(self.meta_path, json.dumps(key, indent=1))

    def keep_as_previous(self):
        """Move the encoded vectors (with their meta file) into the previous folder, named by their key.

        The vector file moves first, so an interruption leaves a meta file without vectors (re-encoded next
        time), never vectors without a meta file (which would be taken for user-supplied ones)."""
        meta = read_cache_key(self.meta_path)
        if meta is None or not os.path.isfile(self.path):
            return
        os.makedirs(self.previous_dir, exist_ok=True)
        stem = os.path.join(
            self.previous_dir, hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]
        )
        os.replace(self.path, stem + ".emb")
        os.replace(self.meta_path, stem + ".meta.json")

    def restore(self, key):
        """Bring back kept vectors whose key matches (the current ones are kept in their place); False if none."""
        for meta_file in sorted(glob.glob(os.path.join(self.previous_dir, "*.meta.json"))):
            stem = meta_file[: -len(".meta.json")]
            if os.path.isfile(stem + ".emb") and same_vectors(read_cache_key(meta_file), key):
                self.keep_as_previous()
                os.replace(meta_file, self.meta_path)  # meta first: see keep_as_previous
                os.replace(stem + ".emb", self.path)
                return True
        return False
