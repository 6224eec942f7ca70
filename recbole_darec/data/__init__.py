"""Dataset creation and the files a run needs before RecBole reads them."""

import os
import shutil

import numpy as np
import recbole
import torch
import yaml
from recbole.data import create_dataset as recbole_create_dataset
from recbole.utils import ModelType

from recbole_darec.data.atomic import AtomicFileError
from recbole_darec.data.dataset import PROFILE_FILES, Dataset, DatasetError

BUNDLED = {"ml-100k": os.path.join(os.path.dirname(recbole.__file__), "dataset_example", "ml-100k")}


class DatasetNotFoundError(FileNotFoundError):
    pass


def create_dataset(config):
    """Our checked :class:`Dataset` for general recommenders; RecBole's own classes otherwise."""
    if config["MODEL_TYPE"] == ModelType.GENERAL:
        return Dataset(config)
    return recbole_create_dataset(config)


def mask_training_items_only(eval_data, train_dataset):
    """Make full-sort evaluation mask only training items (RLMRec's protocol).

    RecBole masks every item a user had in earlier phases: training and validation items
    when testing. With ``test_history: train`` validation items stay rankable at test time.
    """
    uid_field, iid_field = train_dataset.uid_field, train_dataset.iid_field
    users = train_dataset.inter_feat[uid_field].numpy()
    items = train_dataset.inter_feat[iid_field].numpy()
    order = np.argsort(users, kind="stable")
    users, items = users[order], items[order]
    bounds = np.searchsorted(users, np.arange(train_dataset.user_num + 1))
    for uid, history in enumerate(eval_data.uid2history_item):
        if history is not None:
            eval_data.uid2history_item[uid] = torch.as_tensor(items[bounds[uid]:bounds[uid + 1]], dtype=torch.int64)


def _interaction_files(config):
    name, path = config["dataset"], config["data_path"]
    if config["benchmark_filename"]:
        return [os.path.join(path, f"{name}.{part}.inter") for part in config["benchmark_filename"]]
    return [os.path.join(path, f"{name}.inter")]


def _downloadable(name):
    with open(os.path.join(os.path.dirname(recbole.__file__), "properties", "dataset", "url.yaml")) as f:
        return name.lower() in (yaml.safe_load(f) or {})


def prepare_dataset_files(config):
    """Make sure the atomic files (and, for profile models, the profile vectors) exist.

    * ml-100k is copied from RecBole's wheel into ``data_path`` so that side files can live beside it.
    * A dataset RecBole can download is left to RecBole when its folder is absent.
    * Anything else missing is an error that says where we looked and how to get the files.
    * Models that align LLM profiles get ``<dataset>.useremb`` / ``.itememb`` built once if missing.
    """
    name, path = config["dataset"], config["data_path"]
    if name in BUNDLED and not os.path.isfile(os.path.join(path, f"{name}.inter")):
        os.makedirs(path, exist_ok=True)
        for file in sorted(os.listdir(BUNDLED[name])):
            shutil.copyfile(os.path.join(BUNDLED[name], file), os.path.join(path, file))
    missing = [f for f in _interaction_files(config) if not os.path.isfile(f)]
    if missing and not (not os.path.exists(path) and _downloadable(name)):
        raise DatasetNotFoundError(
            f"dataset '{name}': missing {', '.join(missing)}. Put RecBole atomic files there, "
            f"convert a split with `python -m recbole_darec.convert rlmrec|lightgcn-txt --src=<dir> --name={name}`, "
            f"or change data_path (now {os.path.abspath(os.path.dirname(os.path.normpath(path)))}).")
    profile_suffixes = [s for s in (config["additional_feat_suffix"] or []) if s in PROFILE_FILES]
    if profile_suffixes and not missing:
        from recbole_darec.profiles import ensure_profile_embeddings

        ensure_profile_embeddings(config, kinds=[PROFILE_FILES[s][0] for s in profile_suffixes])


__all__ = ["create_dataset", "prepare_dataset_files", "mask_training_items_only", "Dataset", "DatasetError", "DatasetNotFoundError",
           "AtomicFileError"]
