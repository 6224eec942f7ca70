"""Model lookup: this package's models first, then RecBole's built-ins (RecBole-GNN's ``get_model`` pattern;
RecBole's own lookup knows only its modules)."""

import importlib


class UnknownModelError(ValueError):
    """A model name that neither this package nor RecBole defines; the message lists ours."""


RECBOLE_MODEL_MODULES = (
    "general_recommender",
    "context_aware_recommender",
    "sequential_recommender",
    "knowledge_aware_recommender",
    "exlib_recommender",
)


def our_model_names():
    module = importlib.import_module("recbole_darec.model")
    return sorted(module.__all__)


def get_model(model_name):
    """Return the model class named ``model_name``: ours if we define it, else RecBole's."""
    module = importlib.import_module("recbole_darec.model")
    if model_name in module.__all__:
        return getattr(module, model_name)
    for submodule in RECBOLE_MODEL_MODULES:
        try:
            candidates = importlib.import_module(f"recbole.model.{submodule}")
        except ImportError:  # e.g. exlib_recommender without lightgbm/xgboost installed
            continue
        if hasattr(candidates, model_name):
            return getattr(candidates, model_name)
    raise UnknownModelError(
        f"unknown model '{model_name}'. This package provides: {', '.join(our_model_names())}; "
        "RecBole's built-in models (LightGCN, SGL, BPR, NCL, ...) work too. Names are case-sensitive."
    )
