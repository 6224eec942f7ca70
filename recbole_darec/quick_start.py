"""Train and evaluate one model, RecBole-style, with this package's config, data and trainer."""

import logging
import os
import sys
import time
from logging import getLogger

import torch.distributed as dist
from recbole.data import data_preparation
from recbole.utils import get_environment, init_seed, set_color

from recbole_darec.checkpoint import (
    RESUMABLE_KEYS,
    check_same_data,
    config_to_json,
    load_checkpoint,
    rebuild_config_dict,
    restore_model,
)
from recbole_darec.checks import check_value
from recbole_darec.config import Config
from recbole_darec.data import create_dataset, mask_training_items_only
from recbole_darec.data.eval_batches import size_full_sort_batches
from recbole_darec.data.identity import data_fingerprint
from recbole_darec.grouped_evaluation import evaluate_by_group
from recbole_darec.model.dense import check_dense_memory
from recbole_darec.outputs import start_logging
from recbole_darec.prepare import prepare_dataset_files
from recbole_darec.runtime import configure_runtime
from recbole_darec.trainer import get_trainer, latest_last_checkpoint, this_runs_last_checkpoint


def _build(config, logger=None):
    """Dataset, loaders and a freshly seeded model for ``config``: seeded first, so the split is the config's."""
    init_seed(config["seed"], config["reproducibility"])
    dataset = create_dataset(config)
    if logger:
        logger.info(dataset)
    size_full_sort_batches(config, dataset.item_num, config.model_class)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    history = check_value(config, "test_history", str, None, choices={"train", "train_valid"})
    if history == "train" and test_data is not None:
        mask_training_items_only(test_data, train_data._dataset)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    check_dense_memory(config["model"], train_data._dataset.item_num, config)  # before a closed form allocates
    model = config.model_class(config, train_data._dataset).to(config["device"])  # a class of yours too
    return dataset, model, train_data, valid_data, test_data


def keep_first_runs_settings(config, checkpoint, given, logger):
    """On a resume, a setting a resume may change (``epochs``, ``stopping_step``, ``stopping_warmup``) that this
    command line does not give keeps the value the interrupted run had, not the YAML default: a bare
    ``--resume=latest`` continues the run that was started, and the log says which values it kept."""
    kept = []
    for key in sorted(RESUMABLE_KEYS - set(given or {})):
        saved = checkpoint["config"].get(key)
        if saved is not None and saved != config[key]:
            config[key] = saved
            kept.append(f"{key} = {saved}")
    if kept:
        logger.info(f"resuming: kept the interrupted run's {', '.join(kept)} (give them on the command line to change)")


def build_untrained(model, dataset, config_file_list=None, config_dict=None):
    """``(config, model, train_data, valid_data)`` ready to train, without a logger or a run: what the cost
    benchmarks time. The dataset's files are prepared and threads set as for a run."""
    config = Config(model=model, dataset=dataset, config_file_list=config_file_list, config_dict=config_dict)
    prepare_dataset_files(config)
    configure_runtime(config)
    _, net, train_data, valid_data, _ = _build(config)
    return config, net, train_data, valid_data


def run_recbole_darec(
    model=None, dataset=None, config_file_list=None, config_dict=None, saved=True, resume=None, queue=None
):
    """Train ``model`` on ``dataset`` and test the best validation state.

    ``resume``: a ``*.last.pth`` file, ``"latest"`` for this run's newest one, to continue an interrupted
    run, or ``"if_any"``: the newest when there is one, else a new run (what ``compare`` asks for). Returns
    RecBole's result dict (plus ``model_file``).
    """
    config = Config(model=model, dataset=dataset, config_file_list=config_file_list, config_dict=config_dict)
    start_logging(config)  # first, so that profile encoding (minutes on a new dataset) says what it is doing
    logger = getLogger()
    prepare_dataset_files(config)
    threads, reuse = configure_runtime(config)
    logger.info(sys.argv)
    logger.info(config)
    logger.info(f"torch intra-op threads: {threads}; freed memory reused (glibc): {'yes' if reuse else 'no'}")

    if resume == "latest":
        resume = latest_last_checkpoint(config)
    elif resume == "if_any":
        resume = this_runs_last_checkpoint(config)
    checkpoint = load_checkpoint(resume, map_location=config["device"]) if resume else None
    if resume:
        keep_first_runs_settings(config, checkpoint, config_dict, logger)
    _, model, train_data, valid_data, test_data = _build(config, logger)
    logger.info(model)
    trainer = get_trainer(config, model)(config, model)
    if resume:
        trainer.resume_checkpoint(resume, checkpoint)

    best_valid_score, best_valid_result = trainer.fit(
        train_data, valid_data, saved=saved, show_progress=config["show_progress"]
    )
    test_start = time.perf_counter()
    test_result, test_groups = evaluate_by_group(
        trainer, test_data, train_data._dataset, load_best_model=saved, show_progress=config["show_progress"]
    )
    test_seconds = time.perf_counter() - test_start

    logger.info("The running environment of this training is as follows:\n" + get_environment(config).draw())
    logger.info(set_color("best valid ", "yellow") + f": {best_valid_result}")
    logger.info(set_color("test result", "yellow") + f": {test_result}")
    result = {
        "best_valid_score": best_valid_score,
        "valid_score_bigger": config["valid_metric_bigger"],
        "valid_metric": config["valid_metric"].lower(),
        "best_valid_result": best_valid_result,
        "test_result": test_result,
        "test_groups": test_groups,  # test metrics by users' activity quartile and for warm / cold items
        # the last training diagnostics a model logged (DaRec: darec_diagnostics_interval > 0)
        "diagnostics": dict(getattr(getattr(model, "alignment", None), "diagnostics", None) or {}),
        "model_file": trainer.saved_model_file if saved else None,
        # what the run computed from: compare refuses to count it as another configuration's run
        "config": config_to_json(config),
        "data_fingerprint": getattr(trainer, "data_fingerprint", None) or data_fingerprint(config),
        "train_loss": trainer.train_loss_dict,
        # RecBole's special trainers (non-general models) do not record these
        "epoch_seconds": getattr(trainer, "epoch_seconds", []),
        "valid_history": getattr(trainer, "valid_history", []),
        "best_epoch": getattr(trainer, "best_epoch", None),
        "resumed_at_epoch": getattr(trainer, "resumed_at_epoch", None),
        "eval_seconds": getattr(trainer, "valid_seconds", 0.0) + test_seconds,
    }
    if not config["single_spec"]:
        dist.destroy_process_group()
    if config["local_rank"] == 0 and queue is not None:
        queue.put(result)
    return result


def _run_rank(rank, model, dataset, config_file_list, kwargs):
    kwargs["config_dict"] = dict(kwargs.get("config_dict") or {}, local_rank=rank)
    run_recbole_darec(model, dataset, config_file_list, **kwargs)


def run(
    model,
    dataset,
    config_file_list=None,
    config_dict=None,
    saved=True,
    resume=None,
    nproc=1,
    world_size=-1,
    ip="localhost",
    port="5678",
    group_offset=0,
):
    """Single process, or RecBole-style DistributedDataParallel over ``nproc`` local processes.

    On machines without GPUs the processes use the gloo backend on the CPU.
    """
    if nproc == 1 and world_size <= 0:
        return run_recbole_darec(model, dataset, config_file_list, config_dict, saved, resume)
    import torch.multiprocessing as mp

    # Every rank's trainer creates checkpoint_dir; create it first so they do not race.
    probe = Config(model=model, dataset=dataset, config_file_list=config_file_list, config_dict=config_dict)
    os.makedirs(probe["checkpoint_dir"], exist_ok=True)
    prepare_dataset_files(probe)  # build profile vectors once, not in every rank
    queue = mp.get_context("spawn").SimpleQueue()
    config_dict = dict(config_dict or {})
    config_dict.update(
        world_size=world_size if world_size > 0 else nproc, ip=ip, port=port, nproc=nproc, offset=group_offset
    )
    kwargs = {"config_dict": config_dict, "saved": saved, "resume": resume, "queue": queue}
    mp.spawn(_run_rank, args=(model, dataset, config_file_list, kwargs), nprocs=nproc, join=True)
    return None if queue.empty() else queue.get()


def load_data_and_model(model_file, config_overrides=None):
    """Rebuild config, data and model from a checkpoint through the safe loader.

    Returns ``(config, model, dataset, train_data, valid_data, test_data)`` as RecBole's
    function of the same name does. ``config_overrides`` change settings of the rebuilt config
    (recbole_darec.evaluate uses it for evaluation settings).
    """
    return rebuild_from_checkpoint(model_file, load_checkpoint(model_file), config_overrides)


def rebuild_from_checkpoint(model_file, checkpoint, config_overrides=None):
    """:func:`load_data_and_model` of a checkpoint already loaded from ``model_file`` (its data is checked
    against the files there now)."""
    config = Config(config_dict={**rebuild_config_dict(checkpoint), **(config_overrides or {})})
    prepare_dataset_files(config)
    if not check_same_data(model_file, checkpoint, data_fingerprint(config)):
        getLogger().warning(f"{model_file} records no data fingerprint: its split cannot be checked.")
    start_logging(config)
    logging.getLogger().setLevel(logging.WARNING)
    dataset, model, train_data, valid_data, test_data = _build(config)
    restore_model(model, checkpoint)
    return config, model, dataset, train_data, valid_data, test_data
