"""RecBole's Config, taught where this package keeps its models and YAML defaults.

Precedence, lowest first: RecBole's own defaults, ``properties/overall.yaml``, the
model's YAML files (one per class in the model's MRO, base classes first, so
``DaRecLightGCN`` reads ``LightGCN.yaml``, ``AlignedModel.yaml``, ``DaRec.yaml`` and
``DaRecLightGCN.yaml``),
the split's own ``<data_path>/<dataset>/<dataset>.yaml`` (written by ``recbole_darec.convert``:
benchmark files, columns, test-time masking), ``properties/dataset/<dataset>.yaml``, then the
user's config files and config dict.

Unlike RecBole's, this Config never reads ``sys.argv``: each entry point parses its command
line once (:func:`recbole_darec.cli.parse_overrides`) and passes ``--key=value`` settings as
``config_dict``, so a tool's own flags never leak into a model's configuration.

The YAML defaults live in the checkout's top-level ``properties/``, which the build ships inside
the package as ``recbole_darec/properties`` (setup.cfg), so a wheel reads exactly the checkout's
defaults. A package YAML that should be there and is not is an error, never a silent skip.

A key given on the command line or in a ``--config_files`` file must be one that a YAML of RecBole
or of this package defines (or one of RecBole's documented arguments); anything else is refused
with the known key it most resembles, unless listed in ``user_config_keys`` (a user's own keys).
"""

import difflib
import functools
import glob
import os

import recbole
import torch
import torch.distributed as dist
import yaml
from recbole.config import Config as RecBoleConfig

from recbole_darec.checks import ConfigError, check_value
from recbole_darec.data.corruption import corruption_settings
from recbole_darec.filenames import profile_kinds, split_config_path
from recbole_darec.model.hooks import AlignmentHooks
from recbole_darec.model.lookup import check_supported, get_model
from recbole_darec.outputs import resolve_output_paths

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
RECBOLE_PROPERTIES_DIR = os.path.join(os.path.dirname(os.path.abspath(recbole.__file__)), "properties")


def _properties_dir():
    """``recbole_darec/properties`` in an installed package, the checkout's ``properties/`` in a source tree."""
    candidates = [os.path.join(_PACKAGE_DIR, "properties"), os.path.join(os.path.dirname(_PACKAGE_DIR), "properties")]
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, "overall.yaml")):
            return folder
    raise ConfigError(
        f"this installation of recbole_darec has no YAML defaults: neither {candidates[0]}/overall.yaml nor "
        f"{candidates[1]}/overall.yaml exists. Reinstall the package (pip install .) from a complete checkout."
    )


PROPERTIES_DIR = _properties_dir()
# How a dataset attaches profile vectors (RecBole's additional-feature settings): read by every model that
# uses them (the aligned models through their MRO, AlphaRec, any model with profile_init) and no other.
PROFILE_FEATURES_YAML = os.path.join(PROPERTIES_DIR, "model", "AlignedModel.yaml")
# Folders of properties/ that hold configuration files (suites/ holds benchmark suites, not settings).
CONFIG_FOLDERS = ("model", "dataset", "protocol", "tuned")
# Keys the Config sets itself or that the package's tools pass, which no YAML file defines.
_RUNTIME_KEYS = {"model", "dataset", "config_files", "local_rank", "world_size", "nproc", "offset", "ip", "port"}


def package_model_yamls(model_class):
    """``properties/model/<Class>.yaml`` of each of this package's model classes and alignment mixins in the
    model's MRO, base first: each must exist (a missing one is a broken installation, not a model without
    defaults). Classes of RecBole or a user's own are not required to have one."""
    from recbole.model.abstract_recommender import AbstractRecommender

    from recbole_darec.model.aligned import AlignedModel

    files = []
    for cls in reversed(model_class.__mro__):
        ours = cls.__module__.startswith("recbole_darec.")
        if ours and issubclass(cls, (AbstractRecommender, AlignedModel)):
            files.append(os.path.join(PROPERTIES_DIR, "model", f"{cls.__name__}.yaml"))
    return files


def _yaml_keys(path):
    with open(path, encoding="utf-8") as f:
        return set(yaml.safe_load(f) or {})


@functools.lru_cache(maxsize=1)
def known_keys():
    """Every configuration key that a YAML of RecBole or of this package defines, RecBole's documented
    arguments, and the keys the Config and the package's tools set themselves."""
    from recbole.utils import argument_list

    keys = set(_RUNTIME_KEYS)
    for name in ("general_arguments", "training_arguments", "evaluation_arguments", "dataset_arguments"):
        keys.update(getattr(argument_list, name))
    patterns = [os.path.join(RECBOLE_PROPERTIES_DIR, "**", "*.yaml"), os.path.join(PROPERTIES_DIR, "overall.yaml")]
    patterns += [os.path.join(PROPERTIES_DIR, folder, "*.yaml") for folder in CONFIG_FOLDERS]
    for pattern in patterns:
        for path in glob.glob(pattern, recursive=True):
            if os.path.basename(path) not in ("url.yaml", "kg_url.yaml"):  # RecBole's download tables: dataset names
                keys |= _yaml_keys(path)
    return frozenset(keys)


def check_known_keys(settings, origin, own=None):
    """Refuse a key of ``settings`` that no YAML defines, naming the closest known key (typos are silent
    in RecBole: the run would go on with the default). ``origin`` says where the settings came from;
    ``own``: keys the user declared (``user_config_keys``; default: those ``settings`` declares)."""
    own = settings.get("user_config_keys") or [] if own is None else own
    if not isinstance(own, list):
        raise ConfigError(f"user_config_keys = {own!r} must be a list of key names, e.g. --user_config_keys=[my_key].")
    known = known_keys() | set(own)
    for key in settings:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(
                f"unknown setting '{key}' in {origin}: {hint}No YAML of RecBole or recbole_darec defines it; "
                f"if it is a key of your own, declare it with --user_config_keys=[{key}]."
            )


# key: (type, lower bound, inclusive?) for general settings whose bad values otherwise fail deep inside RecBole.
_CHECKED_KEYS = {
    "epochs": (int, 0, True),
    "train_batch_size": (int, 1, True),
    "eval_batch_size": (int, 1, True),
    "learning_rate": (float, 0.0, False),
    "embedding_size": (int, 1, True),
    "eval_step": (int, 0, True),
    "stopping_step": (int, 1, True),
    "stopping_warmup": (int, 0, True),
    "n_layers": (int, 0, True),
    "reg_weight": (float, 0.0, True),
    "weight_decay": (float, 0.0, True),
    "threads": (int, 0, True),
    "seed": (int, 0, True),
}


# Folders whose files are presets a user names (the others hold defaults read automatically).
PRESET_FOLDERS = ("protocol", "tuned")


def preset_names():
    """``{folder: [preset names]}`` of the YAML presets shipped in the package."""
    return {
        folder: sorted(
            os.path.splitext(os.path.basename(path))[0]
            for path in glob.glob(os.path.join(PROPERTIES_DIR, folder, "*.yaml"))
        )
        for folder in PRESET_FOLDERS
    }


def resolve_config_file(name):
    """A ``--config_files`` entry as a file: a path that exists (from the working folder), a preset shipped in the
    package by name (``rlmrec``, ``protocol:rlmrec``, ``tuned:dbbook_lightgcn``) or by its checkout path
    (``properties/protocol/rlmrec.yaml``, found from any folder)."""
    if os.path.isfile(name):
        return name
    folder, _, preset = name.rpartition(":") if ":" in name else ("", "", name)
    checkout_path = os.path.normpath(name).split(os.sep)
    if checkout_path[0] == "properties" and len(checkout_path) > 1:
        candidates = [os.path.join(PROPERTIES_DIR, *checkout_path[1:])]
    else:
        stem = preset[: -len(".yaml")] if preset.endswith(".yaml") else preset
        folders = [folder] if folder else PRESET_FOLDERS
        candidates = [os.path.join(PROPERTIES_DIR, f, f"{stem}.yaml") for f in folders]
    found = [path for path in candidates if os.path.isfile(path)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ConfigError(f"config file '{name}' names presets in several folders: say which, e.g. {found[0]}.")
    listed = "; ".join(f"{folder}: {', '.join(names)}" for folder, names in preset_names().items() if names)
    raise ConfigError(
        f"config file '{name}' is neither a file (from {os.getcwd()}) nor a preset of the package ({listed}); "
        "name a preset as rlmrec or protocol:rlmrec, or give the path of your YAML file."
    )


class Config(RecBoleConfig):
    def _load_cmd_line(self):
        return {}

    def _load_config_files(self, file_list):
        file_list = [resolve_config_file(path) for path in file_list or []]
        self._files_read = [(path, super(Config, self)._load_config_files([path])) for path in file_list]
        return {key: value for _, loaded in self._files_read for key, value in loaded.items()}

    def _merge_external_config_dict(self):
        super()._merge_external_config_dict()
        own = self.external_config_dict.get("user_config_keys") or []  # declared in a file or on the command line
        for path, loaded in self._files_read:
            check_known_keys(loaded, f"config file {path}", own)
        check_known_keys(self.variable_config_dict, "the command-line settings", own)

    def _get_model_and_dataset(self, model, dataset):
        if model is None:
            model = self.external_config_dict.get("model")
            if model is None:
                raise ConfigError("no model given: pass --model=<Model> (e.g. --model=DaRecLightGCN).")
        if dataset is None:
            dataset = self.external_config_dict.get("dataset")
            if dataset is None:
                raise ConfigError("no dataset given: pass --dataset=<name> (e.g. --dataset=ml-100k).")
        model_class = get_model(model) if isinstance(model, str) else model
        check_supported(model_class.__name__, model_class)
        return model_class.__name__, model_class, dataset

    def _load_internal_config_dict(self, model, model_class, dataset):
        super()._load_internal_config_dict(model, model_class, dataset)
        required = [os.path.join(PROPERTIES_DIR, "overall.yaml"), *package_model_yamls(model_class)]
        missing = [path for path in required if not os.path.isfile(path)]
        if missing:
            raise ConfigError(
                f"{missing[0]} is missing: this installation of recbole_darec is incomplete, so {model} would run "
                "without its defaults. Reinstall the package from a complete checkout."
            )
        files = [required[0]]
        for cls in reversed(model_class.__mro__):
            files.append(os.path.join(RECBOLE_PROPERTIES_DIR, "model", f"{cls.__name__}.yaml"))
            files.append(os.path.join(PROPERTIES_DIR, "model", f"{cls.__name__}.yaml"))
        data_path = self.external_config_dict.get("data_path", self.internal_config_dict["data_path"])
        dataset_files = [
            split_config_path(os.path.join(data_path, dataset), dataset),
            os.path.join(PROPERTIES_DIR, "dataset", f"{dataset}.yaml"),
        ]
        for path in files:
            if os.path.isfile(path):
                self._update_internal_config_dict(path)
        profile_init = self.external_config_dict.get("profile_init", self.internal_config_dict.get("profile_init"))
        if getattr(model_class, "reads_profiles", False) or profile_init not in (None, "none"):
            # the settings that attach profile vectors, for any model that reads them
            self._update_internal_config_dict(PROFILE_FEATURES_YAML)
        for path in dataset_files:
            if os.path.isfile(path):
                loaded = self._update_internal_config_dict(path) or {}
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
        warmup, epochs = self.final_config_dict.get("stopping_warmup") or 0, self.final_config_dict.get("epochs")
        if warmup and epochs is not None and warmup >= epochs:
            raise ConfigError(
                f"stopping_warmup = {warmup} epochs is not below epochs = {epochs}: no validation would count "
                "towards choosing the best state; lower stopping_warmup or raise epochs."
            )
        resolve_output_paths(self)
        if self.final_config_dict.get("profile_init", "none") != "none" and not issubclass(
            self.model_class, AlignmentHooks
        ):
            raise ConfigError(
                f"profile_init = {self['profile_init']} starts ID embedding tables of this package's models (LightGCN, "
                f"SGL, SimGCL and their aligned forms); {self.model} has none of ours, so it would be ignored: leave "
                "profile_init at none."
            )
        if corruption_settings(self) and not profile_kinds(self):
            raise ConfigError(
                f"{self.model} reads no profile vectors, so profile_corruption_fraction = "
                f"{self['profile_corruption_fraction']} would change nothing: leave it at 0, or pick a model that "
                "reads profiles (RLMRec*, DaRec*, AlphaRec, or profile_init: projection)."
            )

    def _init_device(self):
        if "local_rank" not in self.final_config_dict or torch.cuda.is_available():
            super()._init_device()
            if self.final_config_dict["device"].type != "cuda":
                self.final_config_dict["use_gpu"] = False  # the logged settings say where the run computes
            return
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
