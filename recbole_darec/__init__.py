"""recbole-darec: DaRec and RLMRec alignment of LLM profiles with RecBole recommenders.

The public names below are imported on first use, so importing one module of the package
(say ``recbole_darec.model.losses``) does not import the trainer or the data pipeline.
"""

import importlib

from recbole_darec import compat  # noqa: F401  (patches RecBole for the pinned stack before anything runs)

__version__ = "0.1.0"
_EXPORTS = {
    "load_checkpoint": "recbole_darec.checkpoint",
    "CheckpointError": "recbole_darec.checkpoint",
    "run": "recbole_darec.quick_start",
    "run_recbole_darec": "recbole_darec.quick_start",
    "load_data_and_model": "recbole_darec.quick_start",
    "get_model": "recbole_darec.model.lookup",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'recbole_darec' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
