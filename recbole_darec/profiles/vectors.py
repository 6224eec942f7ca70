"""Profile vectors read back from their file in a dataset's internal id order, whether or not a model read them:
lets any model's embeddings be compared with the profiles (``python -m recbole_darec.evaluate --alignment``)."""

import os

import numpy as np

from recbole_darec.filenames import VECTOR_FIELDS, vector_path
from recbole_darec.profiles.texts import ProfileError


def profile_vectors(dataset, kind):
    """Float tensor [n, d] of the ``kind`` profile vectors in ``dataset``'s internal id order (row 0, [PAD],
    zeros), read from the vector file beside the dataset whether or not the model read it: lets any
    model's embeddings be compared with the profiles (``python -m recbole_darec.evaluate --alignment``)."""
    import torch

    from recbole_darec.data.vector_file import read_vector_file

    path = vector_path(dataset.dataset_path, dataset.dataset_name, kind)
    if not os.path.isfile(path):
        raise ProfileError(
            f"{path}: no {kind} profile vectors; make them with "
            f"python -m recbole_darec.profiles --dataset={dataset.dataset_name}."
        )
    ids, matrix = read_vector_file(path, *VECTOR_FIELDS[kind])
    vectors = dict(zip(ids, np.asarray(matrix, dtype=np.float32)))
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
