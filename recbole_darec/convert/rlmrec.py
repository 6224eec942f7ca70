"""RLMRec's pickled scipy matrices (``trn_mat.pkl``, ``val_mat.pkl``, ``tst_mat.pkl``, profiles and vectors)."""

import os
import pickle

import numpy as np
import scipy.sparse as sp

from recbole_darec.convert.common import (
    SPLITS,
    ConversionError,
    write_split_config,
    write_splits,
)
from recbole_darec.filenames import text_path
from recbole_darec.profiles.sources import (
    import_texts,
)
from recbole_darec.profiles.texts import write_texts


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
