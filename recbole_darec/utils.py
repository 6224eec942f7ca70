"""Model and trainer lookup: this package's models first, then RecBole's built-ins."""

import importlib
import os

import torch
from recbole.utils import get_model as recbole_get_model


class UnknownModelError(ValueError):
    pass


def our_model_names():
    module = importlib.import_module("recbole_darec.model")
    return sorted(module.__all__)


def get_model(model_name):
    """Return the model class named ``model_name``: ours if we define it, else RecBole's."""
    module = importlib.import_module("recbole_darec.model")
    if model_name in module.__all__:
        return getattr(module, model_name)
    try:
        return recbole_get_model(model_name)
    except ValueError:
        raise UnknownModelError(
            f"unknown model '{model_name}'. This package provides: {', '.join(our_model_names())}; "
            "RecBole's built-in models (LightGCN, SGL, BPR, NCL, ...) work too. Names are case-sensitive."
        ) from None


def get_trainer(model_type, model_name):
    """Every model runs under our trainer (safe checkpoints, resume) unless RecBole needs a special one."""
    from recbole.utils import ModelType, get_trainer as recbole_get_trainer

    from recbole_darec.trainer import Trainer

    recbole_trainer = recbole_get_trainer(model_type, model_name)
    if model_type == ModelType.GENERAL and recbole_trainer.__name__ == "Trainer":
        return Trainer
    return recbole_trainer


THREADS_ENV = "RECBOLE_DAREC_THREADS"


def set_threads(config):
    """Set torch's intra-op threads: $RECBOLE_DAREC_THREADS, else config['threads'] (0 keeps torch's default).

    On the 2-core reference machine 1 thread trained LightGCN/DaRec faster than 2 (see
    docs/results/threads.md), so ``properties/overall.yaml`` defaults to 1.
    """
    threads = int(os.environ.get(THREADS_ENV) or config["threads"] or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    return torch.get_num_threads()
