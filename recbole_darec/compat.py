"""Make RecBole 1.2.1 run on the pinned, current package stack.

Imported by ``recbole_darec/__init__.py``; users never import it themselves.

* scipy >= 1.13 removed the private ``dok_matrix._update`` that RecBole's LightGCN,
  NGCF, NCL, GCMC and SpectralCF call to fill their adjacency matrices. We restore it
  on top of scipy's public fancy-index assignment.
* torch >= 2.6 loads checkpoints weights-only, and RecBole's trainer pickles its
  ``Config`` into every checkpoint. We do not switch weights-only loading off:
  this package's trainer writes checkpoints that hold only tensors and plain data
  (see :mod:`recbole_darec.checkpoint`), and RecBole-format files are read through an
  explicit allow-list there.
* numpy >= 1.24 removed the ``np.float`` alias that RecBole's NDCG, MRR and MAP still use; RecBole restores it
  only when a ``Config`` is built, so its metric classes used without one (grouped evaluation, tests) failed
  depending on what ran before. We restore it at import, as RecBole does (``np.float64``).
* Two FutureWarnings RecBole's own code raises on every run, about code of RecBole's we do not run differently:
  pandas' chained-assignment warning from RecBole's dataset (its fillna in place; the result is the same under
  the pinned pandas<3) and torch's ``torch.cuda.amp.GradScaler`` deprecation from RecBole's trainer (a disabled
  scaler on the CPU). They are silenced for those two messages and RecBole's modules only.
"""

import warnings

import numpy as np
import scipy.sparse as sp


def _dok_update(self, data):
    """``dict.update`` for a dok matrix, as scipy < 1.13 allowed: keys are (row, col)."""
    if not data:
        return
    keys = np.fromiter((k for pair in data.keys() for k in pair), dtype=np.int64)
    rows, cols = keys[0::2], keys[1::2]
    self[rows, cols] = np.fromiter(data.values(), dtype=self.dtype, count=len(data))


def apply():
    warnings.filterwarnings(
        "ignore", message="A value is trying to be set on a copy", category=FutureWarning, module="recbole"
    )
    warnings.filterwarnings("ignore", message=r"`torch.cuda.amp.GradScaler", category=FutureWarning, module="recbole")
    if not hasattr(sp.dok_matrix, "_update"):
        sp.dok_matrix._update = _dok_update
    if "float" not in np.__dict__:
        np.float = np.float64


apply()
