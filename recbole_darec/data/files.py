"""A dataset's interaction files, present and readable before anything long starts (profile encoding, training).

* ml-100k is copied from RecBole's wheel into ``data_path`` so that side files can live beside it.
* A dataset RecBole can download is downloaded through RecBole's own code when its folder is
  absent; offline, that ends in one :class:`DatasetNotFoundError` naming where to put the files.
* Anything else missing is an error that says where we looked and how to get the files.
* Each interaction file's header must name the user and item id columns the run reads, as ``token``s.
"""

import os
import shutil
from logging import getLogger

import recbole
import yaml
from recbole.data.dataset import Dataset as RecBoleDataset

from recbole_darec.data.atomic import AtomicFileError, read_header
from recbole_darec.data.dataset import DatasetNotFoundError
from recbole_darec.data.identity import interaction_files

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


def check_id_columns(path, config):
    """Refuse an interaction file whose header lacks the user or item id column (RecBole would fail much later with
    a traceback, after any profile encoding), naming the file, what it has and the two fixes."""
    fields = dict(read_header(path, config["field_separator"], config["encoding"]))
    for role, key in (("user", "USER_ID_FIELD"), ("item", "ITEM_ID_FIELD")):
        name = config[key]
        if fields.get(name) != "token":
            found = " ".join(f"{n}:{t}" for n, t in fields.items())
            raise AtomicFileError(
                f"{path}, line 1: the header ({found}) has no '{name}:token' column, where the run reads each "
                f"interaction's {role} id ({key} = {name}). Write the header as 'user_id:token<TAB>item_id:token"
                f"[<TAB>rating:float<TAB>timestamp:float]', or name your column with --{key}=<column>."
            )


def interaction_ids(config, kind):
    """Every user (``kind="user"``) or item id of the dataset's interaction files, as the tokens written there."""
    import pandas as pd

    field = config["USER_ID_FIELD" if kind == "user" else "ITEM_ID_FIELD"]
    ids = set()
    for path in interaction_files(config):
        column = f"{field}:token"
        table = pd.read_csv(
            path, sep=config["field_separator"], usecols=[column], dtype=str, encoding=config["encoding"]
        )
        ids.update(table[column])
    return ids


def ensure_atomic_files(config):
    """Make sure the dataset's interaction files exist (copied or downloaded where RecBole ships or serves them) and
    name the id columns the run reads."""
    name, path = config["dataset"], config["data_path"]
    if name in BUNDLED and not os.path.isfile(os.path.join(path, f"{name}.inter")):
        os.makedirs(path, exist_ok=True)
        for file in sorted(os.listdir(BUNDLED[name])):
            shutil.copyfile(os.path.join(BUNDLED[name], file), os.path.join(path, file))
    if not os.path.exists(path) and _download_url(name):
        download_with_recbole(config)
    files = interaction_files(config)
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        raise DatasetNotFoundError(
            f"dataset '{name}': missing {', '.join(missing)}. Put RecBole atomic files there (docs/own_data.md), "
            f"convert your interactions with `python -m recbole_darec.convert interactions --src=<file> --name={name}`,"
            f" or change data_path (now {os.path.abspath(os.path.dirname(os.path.normpath(path)))})."
        )
    for file in files:
        check_id_columns(file, config)
