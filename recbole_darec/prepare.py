"""The files a run needs before RecBole reads them: the interaction files (:mod:`recbole_darec.data.files`), then,
for models that read LLM profiles, ``<dataset>.useremb`` / ``.itememb``, built once if missing."""

from recbole_darec.data.files import ensure_atomic_files
from recbole_darec.filenames import profile_kinds
from recbole_darec.profiles import ensure_profile_embeddings


def prepare_dataset_files(config):
    """Make sure the atomic files (and, for profile models, the profile vectors) exist."""
    ensure_atomic_files(config)
    kinds = profile_kinds(config)
    if kinds:
        ensure_profile_embeddings(config, kinds=kinds)
