"""The files a run needs before RecBole reads them: atomic files, then profile vectors.

* ml-100k is copied from RecBole's wheel into ``data_path`` so that side files can live beside it.
* A dataset RecBole can download is downloaded through RecBole's own code when its folder is
  absent; offline, that ends in one :class:`DatasetNotFoundError` naming where to put the files.
* Anything else missing is an error that says where we looked and how to get the files.
* Models that align LLM profiles get ``<dataset>.useremb`` / ``.itememb`` built once if missing.
"""

import os
import shutil
from logging import getLogger

import recbole
import yaml
from recbole.data.dataset import Dataset as RecBoleDataset

from recbole_darec.data.dataset import DatasetNotFoundError
from recbole_darec.data.identity import interaction_files
from recbole_darec.filenames import profile_kinds
from recbole_darec.profiles import ensure_profile_embeddings

BUNDLED = {"ml-100k": os.path.join(os.path.dirname(recbole.__file__), "dataset_example", "ml-100k")}
# Offline alternatives for datasets RecBole downloads: (what it is, the command that makes it).
OFFLINE_ALTERNATIVES = {
    "ml-1m": (
        "the implicit MovieLens-1M with LLM movie descriptions (ml-1m-implicit)",
        "python -m recbole_darec.convert lightgcn-txt --src=../shared/datasets/ml-1m-colakg "
        "--name=ml-1m-implicit, then --dataset=ml-1m-implicit",
    ),
}


def _download_url(name):
    with open(os.path.join(os.path.dirname(recbole.__file__), "properties", "dataset", "url.yaml")) as f:
        return (yaml.safe_load(f) or {}).get(name.lower())


def download_with_recbole(config):
    """RecBole's own download of a dataset it knows, with one clear error when it cannot reach the server."""
    path = config["data_path"]
    downloader = RecBoleDataset.__new__(RecBoleDataset)  # only _download's attributes: no data is loaded
    downloader.config, downloader.dataset_name, downloader.dataset_path = config, config["dataset"], path
    downloader.logger = getLogger()
    try:
        downloader._download()
    except (OSError, SystemExit) as err:  # urllib's URLError is an OSError; RecBole exits when a user declines
        if os.path.isdir(path) and not os.listdir(path):
            os.rmdir(path)  # leave no empty folder that would pass for a downloaded dataset
        name = config["dataset"]
        reason = getattr(err, "reason", None) or err
        hint = ""
        if name in OFFLINE_ALTERNATIVES:
            what, command = OFFLINE_ALTERNATIVES[name]
            hint = f" Offline alternative: {what}: {command}."
        raise DatasetNotFoundError(
            f"dataset '{name}' is not in {os.path.abspath(path)} and RecBole could not download it from "
            f"{_download_url(name)} ({reason}). Put RecBole's atomic files for it ({name}.inter, ...) in that "
            f"folder.{hint}"
        ) from None


def prepare_dataset_files(config):
    """Make sure the atomic files (and, for profile models, the profile vectors) exist."""
    name, path = config["dataset"], config["data_path"]
    if name in BUNDLED and not os.path.isfile(os.path.join(path, f"{name}.inter")):
        os.makedirs(path, exist_ok=True)
        for file in sorted(os.listdir(BUNDLED[name])):
            shutil.copyfile(os.path.join(BUNDLED[name], file), os.path.join(path, file))
    if not os.path.exists(path) and _download_url(name):
        download_with_recbole(config)
    missing = [f for f in interaction_files(config) if not os.path.isfile(f)]
    if missing:
        raise DatasetNotFoundError(
            f"dataset '{name}': missing {', '.join(missing)}. Put RecBole atomic files there, "
            f"convert a split with `python -m recbole_darec.convert rlmrec|lightgcn-txt --src=<dir> --name={name}`, "
            f"or change data_path (now {os.path.abspath(os.path.dirname(os.path.normpath(path)))})."
        )
    kinds = profile_kinds(config)
    if kinds:
        ensure_profile_embeddings(config, kinds=kinds)
