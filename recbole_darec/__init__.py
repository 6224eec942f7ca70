"""recbole-darec: DaRec and RLMRec alignment of LLM profiles with RecBole recommenders."""

from recbole_darec import compat  # noqa: F401  (patches RecBole for the pinned stack before anything runs)
from recbole_darec.checkpoint import CheckpointError, load_checkpoint
from recbole_darec.quick_start import load_data_and_model, run, run_recbole_darec
from recbole_darec.utils import get_model

__version__ = "0.1.0"
__all__ = ["load_checkpoint", "CheckpointError", "run", "run_recbole_darec", "load_data_and_model", "get_model"]
