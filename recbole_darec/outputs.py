"""Where a run's outputs go: RecBole writes its log to ``./log/`` and TensorBoard's events to ``./log_tensorboard/``
(fixed, relative to the working folder) and checkpoints to ``checkpoint_dir``; ``output_root`` (default ``.``, the
working folder, as RecBole) puts all three under one folder. Inputs stay where ``data_path`` says."""

import contextlib
import os

from recbole.utils import init_logger


def resolve_output_paths(config):
    """Make a relative ``checkpoint_dir`` one below ``output_root`` (absolute, so it means the same from any folder)."""
    root = config["output_root"] or "."
    if os.path.normpath(root) != "." and not os.path.isabs(config["checkpoint_dir"]):
        config["checkpoint_dir"] = os.path.abspath(os.path.join(root, config["checkpoint_dir"]))


@contextlib.contextmanager
def in_output_root(config):
    """Run the body (RecBole code that writes to fixed relative folders) with ``output_root`` as the working folder;
    yields whether the folder changed."""
    root = config["output_root"] or "."
    if os.path.normpath(root) == ".":
        yield False
        return
    os.makedirs(root, exist_ok=True)
    previous = os.getcwd()
    os.chdir(root)
    try:
        yield True
    finally:
        os.chdir(previous)


def start_logging(config):
    """RecBole's logger, its file under ``<output_root>/log/``."""
    with in_output_root(config):
        init_logger(config)
