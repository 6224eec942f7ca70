"""What data a run read, by content: the sha256 of each file, recorded in checkpoints and run rows.

A resumed, re-scored or re-compared run is checked against it, so a split or profile vectors rebuilt since
(or a corrupted copy of the vectors, :mod:`recbole_darec.data.corruption`) are never taken for the same data.
"""

import hashlib
import os

from recbole_darec.data.corruption import corruption_tag
from recbole_darec.filenames import profile_kinds


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def interaction_files(config):
    """The interaction files a run of ``config`` reads: the benchmark split's, else ``<dataset>.inter``."""
    name, path = config["dataset"], config["data_path"]
    if config["benchmark_filename"]:
        return [os.path.join(path, f"{name}.{part}.inter") for part in config["benchmark_filename"]]
    return [os.path.join(path, f"{name}.inter")]


def data_fingerprint(config):
    """``{file name: sha256}`` of every atomic file a run of ``config`` reads (interactions or the benchmark
    split, user and item features, profile vectors): stored in checkpoints, so a resumed or re-scored run
    can tell that its split or its profile vectors changed since it was trained. A run that corrupts the
    profile vectors it reads also has a ``profile_corruption`` entry (:func:`~recbole_darec.data.corruption.
    corruption_tag`), so it is never resumed as, compared with or skipped as a clean run."""
    name, path = config["dataset"], config["data_path"]
    suffixes = ["user", "item", *(config["additional_feat_suffix"] or [])]
    files = interaction_files(config) + [os.path.join(path, f"{name}.{suffix}") for suffix in suffixes]
    fingerprint = {os.path.basename(file): file_sha256(file) for file in files if os.path.isfile(file)}
    tag = corruption_tag(config)
    if tag and profile_kinds(config):
        fingerprint["profile_corruption"] = tag
    return fingerprint
