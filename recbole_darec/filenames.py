"""Names of the files this package keeps beside a dataset's atomic files, defined once.

``<dataset>.uprofile.jsonl`` / ``.iprofile.jsonl``: profile texts; ``<dataset>.useremb`` /
``.itememb``: profile vectors as RecBole atomic files (RecBole suffixes, read through
``additional_feat_suffix``); ``<dataset>.yaml``: what a converter knows about a fixed split
(benchmark files, columns, test-time masking), read by :class:`recbole_darec.config.Config`.
"""

import os

TEXT_SUFFIX = {"user": "uprofile.jsonl", "item": "iprofile.jsonl"}
VECTOR_SUFFIX = {"user": "useremb", "item": "itememb"}
# RecBole field names of a vector file: (id field, vector field)
VECTOR_FIELDS = {"user": ("uid", "user_emb"), "item": ("iid", "item_emb")}
VECTOR_KIND = {suffix: kind for kind, suffix in VECTOR_SUFFIX.items()}


def profile_kinds(config):
    """The kinds (``user``, ``item``) whose profile vectors a run of ``config`` reads (``additional_feat_suffix``)."""
    return [VECTOR_KIND[s] for s in (config["additional_feat_suffix"] or []) if s in VECTOR_KIND]


def text_path(folder, dataset, kind):
    return os.path.join(folder, f"{dataset}.{TEXT_SUFFIX[kind]}")


def vector_path(folder, dataset, kind):
    return os.path.join(folder, f"{dataset}.{VECTOR_SUFFIX[kind]}")


def split_config_path(folder, dataset):
    return os.path.join(folder, f"{dataset}.yaml")
