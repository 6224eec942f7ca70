"""Model lookup: this package's models first, then RecBole's built-ins (RecBole-GNN's ``get_model`` pattern;
RecBole's own lookup knows only its modules)."""

import importlib
import importlib.util

from recbole.trainer.trainer import PretrainTrainer
from recbole.utils import get_trainer as recbole_get_trainer

from recbole_darec.checks import ConfigError


class UnknownModelError(ConfigError):
    """A model name that neither this package nor RecBole defines; the message lists ours."""


class UnsupportedModelError(ConfigError):
    """A RecBole built-in this package cannot run; the message says why, before any work."""


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


# built-ins that import an optional package when they train: (module, what to install)
OPTIONAL_PACKAGES = {"NCL": ("faiss", "faiss-cpu")}


def check_supported(model_name, model_class):
    """Refuse, before any data is read, a built-in whose training this package cannot run."""
    module, package = OPTIONAL_PACKAGES.get(model_name, (None, None))
    if module and importlib.util.find_spec(module) is None:
        raise UnsupportedModelError(
            f"{model_name} needs the '{module}' package for its training, which is not installed: pip install {package}"
        )
    trainer = recbole_get_trainer(model_class.type, model_name)
    if issubclass(trainer, PretrainTrainer):
        raise UnsupportedModelError(
            f"{model_name} trains in separate pre-training stages ({trainer.__name__}: train_stage, pre_model_path) "
            "whose RecBole-format checkpoints this package does not load: run it with RecBole itself."
        )
