"""RecBole's Config, taught where this package keeps its models and YAML defaults.

Precedence, lowest first: RecBole's own defaults, ``properties/overall.yaml``, the
model's YAML files (one per class in the model's MRO, base classes first, so
``DaRecLightGCN`` reads ``LightGCN.yaml``, ``ProfileAligned.yaml``, ``DaRec.yaml`` and
``DaRecLightGCN.yaml``),
the split's own ``<data_path>/<dataset>/<dataset>.yaml`` (written by ``recbole_darec.convert``:
benchmark files, columns, test-time masking), ``properties/dataset/<dataset>.yaml``, then the
user's config files and config dict.

Unlike RecBole's, this Config never reads ``sys.argv``: each entry point parses its command
line once (:func:`recbole_darec.cli.parse_overrides`) and passes ``--key=value`` settings as
``config_dict``, so a tool's own flags never leak into a model's configuration.
"""

import os

import recbole
import torch
import torch.distributed as dist
from recbole.config import Config as RecBoleConfig

from recbole_darec.checks import ConfigError, check_value
from recbole_darec.filenames import split_config_path
from recbole_darec.utils import get_model

PROPERTIES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "properties")
RECBOLE_PROPERTIES_DIR = os.path.join(os.path.dirname(os.path.abspath(recbole.__file__)), "properties")


# key: (type, lower bound, inclusive?) for general settings whose bad values otherwise fail deep inside RecBole.
_CHECKED_KEYS = {
    "epochs": (int, 0, True),
    "train_batch_size": (int, 1, True),
    "eval_batch_size": (int, 1, True),
    "learning_rate": (float, 0.0, False),
    "embedding_size": (int, 1, True),
    "eval_step": (int, 0, True),
    "stopping_step": (int, 1, True),
    "n_layers": (int, 0, True),
    "reg_weight": (float, 0.0, True),
    "weight_decay": (float, 0.0, True),
    "threads": (int, 0, True),
    "seed": (int, 0, True),
}


class Config(RecBoleConfig):
    def _load_cmd_line(self):
        return {}

    def _get_model_and_dataset(self, model, dataset):
        if model is None:
            model = self.external_config_dict.get("model")
            if model is None:
                raise ConfigError("no model given: pass --model=<Model> (e.g. --model=DaRecLightGCN).")
        if dataset is None:
            dataset = self.external_config_dict.get("dataset")
            if dataset is None:
                raise ConfigError("no dataset given: pass --dataset=<name> (e.g. --dataset=ml-100k).")
        if isinstance(model, str):
            return model, get_model(model), dataset
        return model.__name__, model, dataset

    def _load_internal_config_dict(self, model, model_class, dataset):
        super()._load_internal_config_dict(model, model_class, dataset)
        files = [os.path.join(PROPERTIES_DIR, "overall.yaml")]
        for cls in reversed(model_class.__mro__):
            name = cls.__name__
            files.append(os.path.join(RECBOLE_PROPERTIES_DIR, "model", f"{name}.yaml"))
            files.append(os.path.join(PROPERTIES_DIR, "model", f"{name}.yaml"))
        data_path = self.external_config_dict.get("data_path", self.internal_config_dict["data_path"])
        dataset_files = [
            split_config_path(os.path.join(data_path, dataset), dataset),
            os.path.join(PROPERTIES_DIR, "dataset", f"{dataset}.yaml"),
        ]
        for path in files + dataset_files:
            if os.path.isfile(path):
                loaded = self._update_internal_config_dict(path) or {}
                if path in dataset_files:
                    self.parameters["Dataset"] += [k for k in loaded if k not in self.parameters["Dataset"]]

    def _set_default_parameters(self):
        super()._set_default_parameters()
        if self.dataset == "ml-100k":
            # RecBole pins ml-100k to the copy inside its wheel, where our side files
            # (profiles, embeddings) cannot live; use data_path like any other dataset.
            base = self.external_config_dict.get("data_path", self.internal_config_dict["data_path"])
            self.final_config_dict["data_path"] = os.path.join(base, self.dataset)
        for key, (kind, low, inclusive) in _CHECKED_KEYS.items():
            if self.final_config_dict.get(key) is not None:
                check_value(self, key, kind, low, inclusive)

    def _init_device(self):
        if "local_rank" not in self.final_config_dict or torch.cuda.is_available():
            return super()._init_device()
        # Distributed run without GPUs: RecBole hard-codes NCCL and CUDA devices; use gloo on the CPU.
        cfg = self.final_config_dict
        cfg["gpu_id"] = ""
        dist.init_process_group(
            backend="gloo",
            rank=cfg["local_rank"] + cfg["offset"],
            world_size=cfg["world_size"],
            init_method=f"tcp://{cfg['ip']}:{cfg['port']}",
        )
        cfg["device"] = torch.device("cpu")
        cfg["single_spec"] = False
        if cfg["local_rank"] != 0:
            cfg["state"] = "error"
            cfg["show_progress"] = False
            cfg["verbose"] = False
