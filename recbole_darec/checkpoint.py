"""Checkpoints that hold only tensors and plain data, written atomically, loaded weights-only.

RecBole pickles its ``Config`` object into checkpoints, which torch >= 2.6 refuses to
load weights-only, and loading it unrestricted would run any pickle a stranger sends.
Our format stores the configuration as JSON text instead, so ``torch.load`` runs
with ``weights_only=True`` and no allow-list is needed: an object outside tensors,
containers and numbers is refused before anything executes.
"""

import enum
import io
import json
import os
import time
import zipfile

import numpy as np
import torch

from recbole_darec.atomic_io import atomic_write_bytes

FORMAT = "recbole_darec.checkpoint/1"
_REQUIRED = ("format", "config", "epoch", "state_dict")

# Keys RecBole derives while building a Config; a rebuilt Config derives them again.
DERIVED_CONFIG_KEYS = frozenset(
    {
        "MODEL_TYPE",
        "MODEL_INPUT_TYPE",
        "eval_type",
        "device",
        "single_spec",
        "local_rank",
        "valid_metric_bigger",
        "valid_neg_sample_args",
        "test_neg_sample_args",
        "data_path",
        "world_size",
        "nproc",
        "offset",
        "ip",
        "port",
    }
)


# Settings that say where a run keeps its files and how it reports, not what it computes: a resumed run
# may change them. Every other setting must equal the saved run's (:func:`first_difference`).
RUN_ENVIRONMENT_KEYS = frozenset(
    {
        "checkpoint_dir",
        "output_root",
        "data_path",  # where the files are; what they hold is checked by the data fingerprint
        "show_progress",
        "state",
        "log_wandb",
        "wandb_project",
        "threads",
        "reuse_freed_memory",  # how memory is handed out, not what is computed (tests/test_runtime.py)
        "gpu_id",
        "use_gpu",
        "eval_batch_size",
        "eval_memory_mb",
        "worker",
        "save_dataset",
        "save_dataloaders",
        "dataset_save_path",
        "dataloaders_save_path",
        "profile_encoder_threads",
        "profile_encoder_batch_size",
    }
)


# How long a run trains and when it stops, not what a step computes: a resumed run may extend or shorten
# itself (RecBole users expect --epochs to continue an interrupted run further). A different run in every
# other respect, so compare's rows still tell runs with other epochs apart.
RESUMABLE_KEYS = frozenset({"epochs", "stopping_step", "stopping_warmup"})


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used; the message names the file and why."""


def _jsonable(value):
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def config_to_json(config):
    """The configuration as JSON text: ``data_path`` is stored as the folder that holds the dataset folder."""
    data = {k: _jsonable(v) for k, v in config.final_config_dict.items()}
    data["data_path"] = os.path.dirname(os.path.normpath(config["data_path"]))
    return json.dumps(data, sort_keys=True)


def save_checkpoint(path, config, state_dict, epoch, data_fingerprint=None, **extra):
    """Write a checkpoint atomically, with the time it was written and ``data_fingerprint`` (file name ->
    sha256 of the files the run read). ``extra`` values must be tensors, numbers, strings or containers."""
    payload = {
        "format": FORMAT,
        "config": config_to_json(config),
        "epoch": int(epoch),
        "state_dict": state_dict,
        "saved_at": time.time(),
        "data_fingerprint": json.dumps(data_fingerprint or {}, sort_keys=True),
        **extra,
    }
    atomic_write_bytes(path, lambda f: torch.save(payload, f))


def load_checkpoint(path, map_location="cpu"):
    """Load a checkpoint written by this package, refusing anything but tensors and plain data.

    Every zip record's CRC-32 is verified first, so bytes changed after writing are
    detected. Returns the payload dict with ``config`` decoded to a plain dict. Raises
    :class:`CheckpointError` for a missing, truncated, tampered or foreign file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint {path} does not exist.")
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if not zipfile.is_zipfile(io.BytesIO(raw)):
            raise CheckpointError(
                f"checkpoint {path} is not a complete torch checkpoint (truncated, corrupted or another format); "
                "use an intact copy or retrain."
            )
        damaged = zipfile.ZipFile(io.BytesIO(raw)).testzip()  # CRC-32 of every record torch wrote
        if damaged is not None:
            raise CheckpointError(
                f"checkpoint {path}: record '{damaged}' fails its checksum, so the file was "
                "modified or corrupted after it was written; use an intact copy or retrain."
            )
        payload = torch.load(io.BytesIO(raw), map_location=map_location, weights_only=True)
    except CheckpointError:
        raise
    except Exception as err:  # torch raises UnpicklingError, RuntimeError or zip errors, depending on the damage
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "weights_only" in str(err) or "Unsupported global" in str(err) or "WeightsUnpickler" in str(err):
            raise CheckpointError(
                f"checkpoint {path} was refused: it contains objects other than tensors and plain data "
                f"(a RecBole-format checkpoint, or a tampered/malicious file); nothing in it was executed. ({reason})"
            ) from None
        raise CheckpointError(
            f"checkpoint {path} cannot be read ({type(err).__name__}: {reason}); "
            "it is truncated or corrupted: use an intact copy or retrain."
        ) from None
    if not isinstance(payload, dict) or any(k not in payload for k in _REQUIRED):
        raise CheckpointError(
            f"checkpoint {path} lacks the fields {list(_REQUIRED)}: it was not written by recbole_darec."
        )
    if payload["format"] != FORMAT:
        raise CheckpointError(f"checkpoint {path} has format {payload['format']!r}; this version reads {FORMAT!r}.")
    try:
        payload["config"] = json.loads(payload["config"])
        if "data_fingerprint" in payload:
            payload["data_fingerprint"] = json.loads(payload["data_fingerprint"])
    except (TypeError, ValueError):
        raise CheckpointError(f"checkpoint {path} holds a damaged configuration record.") from None
    # written before checkpoints recorded their time: the file's modification time stands in
    payload.setdefault("saved_at", os.path.getmtime(path))
    return payload


def first_difference(saved_config, config, shared_keys_only=False, may_differ=frozenset()):
    """``(key, saved value, current value)`` of the first setting, by name, in which a checkpoint's run and
    ``config`` differ (derived and run-environment keys aside), or None when they are the same run.

    ``shared_keys_only``: a key that only one of the two sets is no difference. Every key a model reads has a
    default in its YAML files, so a key set on one side only is another model's setting (a preset file shared
    by several models sets them all). ``may_differ``: further keys that are no difference (a resume passes
    :data:`RESUMABLE_KEYS`)."""
    current = json.loads(config_to_json(config))
    keys = (set(saved_config) & set(current)) if shared_keys_only else (set(saved_config) | set(current))
    for key in sorted(keys - DERIVED_CONFIG_KEYS - RUN_ENVIRONMENT_KEYS - set(may_differ)):
        if saved_config.get(key, "<unset>") != current.get(key, "<unset>"):
            return key, saved_config.get(key, "<unset>"), current.get(key, "<unset>")
    return None


def data_changes(saved, fingerprint):
    """How the files of ``fingerprint`` differ from the ``saved`` one ({file name: sha256}): one phrase per
    file that is gone, new or changed, by name."""
    changes = []
    for name in sorted(set(saved) | set(fingerprint)):
        if name not in fingerprint:
            changes.append(f"{name} is gone")
        elif name not in saved:
            changes.append(f"{name} is new")
        elif saved[name] != fingerprint[name]:
            changes.append(f"{name} changed")
    return changes


def check_same_data(path, checkpoint, fingerprint):
    """Refuse a checkpoint trained on other data than ``fingerprint`` describes, naming the files that changed.
    Returns False for a checkpoint written before checkpoints recorded their data (nothing to compare)."""
    saved = checkpoint.get("data_fingerprint")
    if not saved:
        return False
    changes = data_changes(saved, fingerprint)
    if changes:
        raise CheckpointError(
            f"checkpoint {path} was trained on other data than is there now ({'; '.join(changes)}): the split or "
            "the profile vectors were rebuilt since. Retrain, or restore the files it was trained on."
        )
    return True


def tensor_parameters(model):
    """RecBole's "other parameters" of ``model`` that a weights-only checkpoint can hold (tensors and numbers).
    Fitted models keep numpy and scipy matrices there, which a rebuilt model computes again from the same data."""
    other = model.other_parameter() or {}
    kept = {k: v for k, v in other.items() if isinstance(v, (torch.Tensor, int, float, bool)) or v is None}
    return kept or None


def restore_model(model, checkpoint):
    """Put a loaded checkpoint's weights and RecBole's "other parameters" into ``model``."""
    model.load_state_dict(checkpoint["state_dict"])
    model.load_other_parameter(checkpoint.get("other_parameter"))


def rebuild_config_dict(checkpoint):
    """The settings that rebuild the checkpoint's Config (derived keys dropped, data_path restored)."""
    config = dict(checkpoint["config"])
    data_path = config.get("data_path")
    config = {k: v for k, v in config.items() if k not in DERIVED_CONFIG_KEYS}
    config["data_path"] = data_path
    return config
