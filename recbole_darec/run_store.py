"""The run store of a ``compare`` output folder, and the child processes that fill it.

Each run's row is its own file, ``runs/<model>-seed<seed>.json``, written atomically; ``results.csv`` is derived
from those files under a file lock after every run, so two ``compare`` processes finishing together never drop
each other's rows. Each run is a child process (``python -m recbole_darec.record_run``), so one crash is a failed
row and the others go on; ``kill <pid>`` of the parent ends its children too. A run cut short continues from
its last completed epoch on the next call (``record_run --resume=if_any``: same settings and data checked, the
same figures as a run never interrupted); ``wall_s`` is then the last attempt's.
"""

import contextlib
import fcntl
import glob
import json
import os
import signal
import subprocess
import sys
import threading
import time

from recbole_darec.atomic_io import atomic_write_csv, atomic_write_text
from recbole_darec.checkpoint import data_changes, first_difference
from recbole_darec.cli import config_file_list, override_args
from recbole_darec.reporting import is_deterministic

FIXED = [
    "model",
    "seed",
    "status",
    "error",
    "best_epoch",
    "epochs_run",
    "train_s_per_epoch",
    "eval_s",
    "peak_mem_mb",
    "wall_s",
    "resumed_at_epoch",
]
# kept in each run's row file (to check a rerun against), not in results.csv
RECORD_ONLY = ("run_config", "data_fingerprint")


def row_file(out, model, seed):
    return os.path.join(out, "runs", f"{model}-seed{seed}.json")


@contextlib.contextmanager
def _locked(out):
    """An exclusive lock on ``<out>/.lock``, held by one compare process at a time."""
    with open(os.path.join(out, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _row_files(out):
    """The rows of every run under ``<out>/runs`` (a row file holds model, seed and status). A finished run's
    ``.metrics.json`` lies beside them until its compare has read it: not a row (another compare storing a row
    at that moment read it as one and stopped)."""
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "runs", "*.json"))):
        if path.endswith(".metrics.json"):
            continue
        with open(path) as f:
            rows.append(json.load(f))
    return rows


def store_row(out, row):
    """Write one run's row file, then rebuild ``results.csv`` from every row file, under the lock.
    Returns all rows."""
    os.makedirs(os.path.join(out, "runs"), exist_ok=True)
    with _locked(out):
        atomic_write_text(row_file(out, row["model"], row["seed"]), json.dumps(row))
        return _write_results_csv(out)


def _write_results_csv(out):
    """Derive ``results.csv`` from every row file (call under the lock); returns the rows."""
    rows = _row_files(out)
    for row in rows:  # derived from the settings the row keeps, which the CSV leaves out
        row["deterministic"] = is_deterministic(row)
    columns = FIXED + sorted({k for r in rows for k in r} - set(FIXED) - set(RECORD_ONLY))
    atomic_write_csv(os.path.join(out, "results.csv"), [_without(r, RECORD_ONLY) for r in rows], columns)
    return rows


def _without(row, keys):
    return {k: v for k, v in row.items() if k not in keys}


def run_settings(overrides, out):
    """The ``--key=value`` settings of every run of this compare (a run adds its seed)."""
    return dict(overrides, checkpoint_dir=os.path.join(out, "saved"), show_progress=False)


def run_problems(models, dataset, config_files, settings):
    """One line per model whose run cannot start, found in seconds before any run trains: an unknown or unsupported
    model, a misspelt key or bad value, a preset that does not exist, missing interaction files or id columns."""
    from recbole_darec.checks import ConfigError
    from recbole_darec.config import Config
    from recbole_darec.data import AtomicFileError, DatasetNotFoundError
    from recbole_darec.data.files import ensure_atomic_files

    problems = []
    for model in models:
        try:
            ensure_atomic_files(
                Config(
                    model=model, dataset=dataset, config_file_list=config_file_list(config_files), config_dict=settings
                )
            )
        except (ConfigError, AtomicFileError, DatasetNotFoundError) as err:  # UnknownModelError is a ConfigError
            problems.append(f"{model}: {err}")
    return problems


def recorded_run_differs(row, dataset, config_files, settings):
    """Why the finished run ``row`` is not the run this compare asks for: the first setting in which they
    differ, or the data files that changed since it ran; None when it is the same run. Rows recorded before
    rows kept their configuration cannot be checked (None)."""
    if not row.get("run_config"):
        return None
    from recbole_darec.config import Config
    from recbole_darec.data.identity import data_fingerprint

    config = Config(
        model=row["model"],
        dataset=dataset,
        config_file_list=config_file_list(config_files),
        config_dict=dict(settings, seed=row["seed"]),
    )
    difference = first_difference(json.loads(row["run_config"]), config, shared_keys_only=True)
    if difference:
        key, recorded, wanted = difference
        return f"it ran with {key}={recorded!r}, this compare asks for {key}={wanted!r}"
    changes = data_changes(json.loads(row.get("data_fingerprint") or "{}"), data_fingerprint(config))
    if changes:
        return f"it was trained on other data than is there now ({'; '.join(changes)})"
    return None


def load_rows(out):
    """Every run's row in ``out``, with ``results.csv`` derived from them (row files copied in from elsewhere
    count too)."""
    os.makedirs(os.path.join(out, "runs"), exist_ok=True)
    with _locked(out):
        return _write_results_csv(out)


_children = set()  # the run processes this process has started and not yet reaped
_children_lock = threading.Lock()
_stopping = threading.Event()


class RunsStopped(Exception):
    """This process was told to stop: its runs were ended and nothing of theirs is stored."""


def _stop_runs(signum, frame):
    _stopping.set()
    with _children_lock:
        for child in _children:
            child.terminate()
    raise SystemExit(128 + signum)


def stop_runs_with_this_process():
    """``kill <pid>`` of a compare or benchmark ends its runs' child processes too (they would train on,
    orphaned, taking the cores); unstored, they run again on the next call. Main thread only."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_runs)


def run_one(model, dataset, seed, config_files, overrides, out):
    """One training run in a child process; returns a result row (status ok or failed)."""
    stem = row_file(out, model, seed)[: -len(".json")]
    result_file, log_file = f"{stem}.metrics.json", f"{stem}.log"
    os.makedirs(os.path.dirname(result_file), exist_ok=True)
    settings = run_settings(overrides, out)
    command = [
        sys.executable,
        "-m",
        "recbole_darec.record_run",
        f"--model={model}",
        f"--dataset={dataset}",
        f"--seed={seed}",
        f"--result_file={result_file}",
        "--resume=if_any",  # an attempt cut short (a killed compare, a session's end) goes on from its last epoch
        *override_args(settings),
    ]
    if config_files:
        command.append(f"--config_files={config_files}")
    start = time.perf_counter()
    with open(log_file, "w") as log:
        with _children_lock:
            if _stopping.is_set():
                raise RunsStopped()
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            _children.add(process)
        try:
            process.wait()
        finally:
            with _children_lock:
                _children.discard(process)
    if _stopping.is_set():
        raise RunsStopped()
    row = {"model": model, "seed": seed, "wall_s": round(time.perf_counter() - start, 1)}
    if process.returncode != 0 or not os.path.isfile(result_file):
        with open(log_file) as f:
            tail = [line.strip() for line in f.read().strip().splitlines()[-20:] if line.strip()]
        error = next((line for line in reversed(tail) if "rror" in line), tail[-1] if tail else "no output")
        return dict(row, status="failed", error=f"exit {process.returncode}: {error[:300]}")
    with open(result_file) as f:
        row = dict(row, status="ok", error="", **json.load(f))
    os.remove(result_file)  # its figures now live in the run's row file
    return row
