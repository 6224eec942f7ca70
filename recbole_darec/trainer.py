"""RecBole's trainer with safe checkpoints, exact resume and CPU-capable distributed training.

* Best-model checkpoints use :mod:`recbole_darec.checkpoint` (atomic, weights-only).
* At the start of every epoch the state after the previous one is written to
  ``<best checkpoint>.last.pth`` with every random state a run consumes (torch's CPU and, on a
  GPU, CUDA generators, numpy, Python and the training loader's generator), so an interrupted
  run resumed with ``--resume`` finishes exactly like an uninterrupted one.
* Every checkpoint records the sha256 of the files the run read (split and profile vectors);
  ``--resume`` continues a checkpoint only if it is the same run (every setting but where files
  go and how the run reports, :func:`recbole_darec.checkpoint.first_difference`) on the same data.
* RecBole wraps models in DistributedDataParallel with a CUDA device id; on CPU
  processes (gloo) the device id must be omitted.
"""

import glob
import json
import math
import os
import random
import time

import numpy as np
import torch
from recbole.trainer import Trainer as RecBoleTrainer
from recbole.trainer.trainer import AbstractTrainer
from recbole.utils import get_trainer as recbole_get_trainer
from torch.nn.parallel import DistributedDataParallel
from torch.utils.tensorboard import SummaryWriter

from recbole_darec.checkpoint import (
    RESUMABLE_KEYS,
    CheckpointError,
    check_same_data,
    first_difference,
    load_checkpoint,
    restore_model,
    save_checkpoint,
    tensor_parameters,
)
from recbole_darec.data.identity import data_fingerprint
from recbole_darec.outputs import in_output_root

LAST_SUFFIX = ".last.pth"


class _DeviceAwareDDP(AbstractTrainer):
    """Sits between RecBole's Trainer and AbstractTrainer in the MRO to build DDP for CPU too."""

    def __init__(self, config, model):
        self.config = config
        self.model = model
        if not config["single_spec"]:
            device_ids = [config["local_rank"]] if config["device"].type == "cuda" else None
            self.distributed_model = DistributedDataParallel(self.model, device_ids=device_ids)


def _rng_state(train_data, device):
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy_keys": torch.from_numpy(np_state[1].astype(np.int64)),
        "numpy_meta": json.dumps([np_state[0], int(np_state[2]), int(np_state[3]), float(np_state[4])]),
        "python": json.dumps(random.getstate(), default=list),
        "loader": train_data.generator.get_state(),
    }
    if device.type == "cuda":  # SimGCL's noise, edge dropout and RLMRec-Gen's masks draw from CUDA's generator
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state, train_data, device, logger):
    torch.set_rng_state(state["torch"])
    if "cuda" in state and device.type == "cuda" and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    elif "cuda" in state or device.type == "cuda":
        logger.warning(
            "the checkpoint's random state was saved on another kind or number of devices than this run uses: "
            "the resumed run continues correctly but will not repeat the uninterrupted run exactly."
        )
    name, pos, has_gauss, gauss = json.loads(state["numpy_meta"])
    np.random.set_state((name, state["numpy_keys"].numpy().astype(np.uint32), pos, has_gauss, gauss))
    version, internal, gauss_next = json.loads(state["python"])
    random.setstate((version, tuple(internal), gauss_next))
    train_data.generator.set_state(state["loader"])


class Trainer(RecBoleTrainer, _DeviceAwareDDP):
    def __init__(self, config, model):
        with in_output_root(config) as moved:  # RecBole's TensorBoard writer names ./log_tensorboard/ there
            super().__init__(config, model)
            if moved:  # it opens its file later, from wherever the process is then: give it the absolute folder
                log_dir = os.path.abspath(self.tensorboard.log_dir)
                self.tensorboard.close()
                self.tensorboard = SummaryWriter(log_dir)
        self.stopping_warmup = config["stopping_warmup"] or 0  # checked by Config
        self._resume_rng = None
        self.resumed_at_epoch = None  # the first epoch this process trained, when it continued a checkpoint
        self.epoch_seconds = []  # training time of each epoch this process ran
        self.valid_history = []  # (epoch, validation result) of each validation this process ran
        self.valid_seconds = 0.0
        self.best_epoch = None  # epoch of the state saved as the best model (RecBole keeps the last tie)
        self._epoch = None
        self.finished = False  # a resumed run that had already finished trains nothing
        self.data_fingerprint = data_fingerprint(config)  # of the files the run has just read, for its checkpoints
        # RecBole names checkpoints <model>-<time to the second>.pth: two runs started in the same
        # second (compare --jobs, a sweep) would overwrite each other's best model. The pid separates them.
        self.saved_model_file = f"{self.saved_model_file[: -len('.pth')]}-{os.getpid()}.pth"
        if not config["single_spec"]:
            # Only rank 0 writes checkpoints; every rank must read that file (names carry a timestamp).
            names = [self.saved_model_file]
            torch.distributed.broadcast_object_list(names, src=0)
            self.saved_model_file = names[0]

    @property
    def last_checkpoint_file(self):
        return self.saved_model_file[: -len(".pth")] + LAST_SUFFIX

    def _training_state(self):
        return dict(
            cur_step=self.cur_step,
            best_valid_score=float(self.best_valid_score),
            best_valid_result=json.dumps(self.best_valid_result),
            other_parameter=tensor_parameters(self.model),
            optimizer=self.optimizer.state_dict(),
            best_model_file=self.saved_model_file,
            best_epoch=-1 if self.best_epoch is None else self.best_epoch,
            # what the run's row reports of the epochs before an interruption (costs, validation curve)
            run_history=json.dumps(
                {
                    "epoch_seconds": self.epoch_seconds,
                    "valid_history": self.valid_history,
                    "valid_s": self.valid_seconds,
                }
            ),
        )

    def _save_last_checkpoint(self, epoch, train_data, **marks):
        """The state after ``epoch`` with every random state, for an exact resume; ``marks``: how the run ended."""
        save_checkpoint(
            self.last_checkpoint_file,
            self.config,
            self.model.state_dict(),
            epoch,
            self.data_fingerprint,
            rng=_rng_state(train_data, self.device),
            **marks,
            **self._training_state(),
        )

    def _is_writer(self):
        return self.config["single_spec"] or self.config["local_rank"] == 0

    def _save_checkpoint(self, epoch, verbose=True, **kwargs):
        """RecBole calls this whenever the validation score improves (every epoch without validation)."""
        self.best_epoch = epoch
        if not self._is_writer():
            return
        path = kwargs.pop("saved_model_file", self.saved_model_file)
        save_checkpoint(
            path, self.config, self.model.state_dict(), epoch, self.data_fingerprint, **self._training_state()
        )
        if verbose:
            self.logger.info(f"Saving current: {path}")

    def _train_epoch(self, train_data, epoch_idx, loss_func=None, show_progress=False):
        if self._resume_rng is not None:
            _set_rng_state(self._resume_rng, train_data, self.device, self.logger)
            self._resume_rng = None
        if epoch_idx > 0 and self._is_writer():
            self._save_last_checkpoint(epoch_idx - 1, train_data)
        start = time.perf_counter()
        loss = super()._train_epoch(train_data, epoch_idx, loss_func=loss_func, show_progress=show_progress)
        self.epoch_seconds.append(time.perf_counter() - start)
        self._epoch = epoch_idx
        return loss

    def _generate_train_loss_output(self, epoch_idx, s_time, e_time, losses):
        """RecBole's epoch line, with each term named as the model names it (``bpr+l2``, ``darec_glo``, ...) where
        RecBole writes ``train_loss1``, ``train_loss2``, ..."""
        line = super()._generate_train_loss_output(epoch_idx, s_time, e_time, losses)
        names = getattr(self.model, "loss_names", None)
        if isinstance(losses, tuple) and names and len(names) == len(losses):
            for index, name in reversed(list(enumerate(names, start=1))):  # train_loss10 before train_loss1
                line = line.replace(f"train_loss{index}", name)
        return line

    def _valid_epoch(self, valid_data, show_progress=False):
        """RecBole's validation, timed and kept in ``valid_history``. Before epoch ``stopping_warmup`` the
        score handed to early stopping is the worst possible, so a validation there is logged but never
        becomes the best state and never counts towards the patience (Keras' ``start_from_epoch``)."""
        start = time.perf_counter()
        score, result = super()._valid_epoch(valid_data, show_progress=show_progress)
        self.valid_seconds += time.perf_counter() - start
        self.valid_history.append((self._epoch, dict(result)))
        if self._epoch is not None and self._epoch + 1 < self.stopping_warmup:
            self.logger.info(
                f"epoch {self._epoch}: {self.valid_metric} {score:.4f}, in the early-stopping warm-up "
                f"(stopping_warmup = {self.stopping_warmup} epochs): not a candidate for the best state"
            )
            return (-math.inf if self.valid_metric_bigger else math.inf), result
        return score, result

    def resume_checkpoint(self, resume_file, checkpoint=None):
        """Continue from a ``.last.pth`` file (``checkpoint``: its contents, when already loaded): model, optimizer,
        early-stopping and random states."""
        checkpoint = checkpoint or load_checkpoint(resume_file, map_location=self.device)
        difference = first_difference(checkpoint["config"], self.config, may_differ=RESUMABLE_KEYS)
        if difference:
            key, saved, current = difference
            raise CheckpointError(
                f"{resume_file} belongs to another run: its {key} is {saved!r}, this run's is {current!r}. "
                "Resume with the settings it was trained with (only epochs, stopping_step and stopping_warmup "
                "may change), or start a new run without --resume."
            )
        if not check_same_data(resume_file, checkpoint, self.data_fingerprint):
            self.logger.warning(f"{resume_file} records no data fingerprint: its split cannot be checked.")
        if "rng" not in checkpoint:
            raise CheckpointError(
                f"{resume_file} is a best-model checkpoint without training state; "
                f"resume from the matching '*{LAST_SUFFIX}' file."
            )
        reached = checkpoint["epoch"] + 1
        if self.epochs < reached:
            raise CheckpointError(
                f"{resume_file} has trained {reached} epochs; epochs = {self.epochs} would end the run before where "
                f"it stands: give --epochs above {reached}, or leave --epochs out to keep the run's own."
            )
        restore_model(self.model, checkpoint)
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.start_epoch = reached
        self.finished = bool(checkpoint.get("stopped_early", False)) or (
            bool(checkpoint.get("finished", False)) and self.epochs <= reached
        )
        self.cur_step = checkpoint["cur_step"]
        self.best_valid_score = checkpoint["best_valid_score"]
        self.best_valid_result = json.loads(checkpoint["best_valid_result"])
        self.saved_model_file = checkpoint["best_model_file"]
        self.best_epoch = None if checkpoint.get("best_epoch", -1) < 0 else checkpoint["best_epoch"]
        self._resume_rng = checkpoint["rng"]
        history = json.loads(checkpoint["run_history"])
        self.epoch_seconds, self.valid_seconds = history["epoch_seconds"], history["valid_s"]
        self.valid_history = [(epoch, result) for epoch, result in history["valid_history"]]
        self.resumed_at_epoch = self.start_epoch
        changed = [k for k in sorted(RESUMABLE_KEYS) if checkpoint["config"].get(k) != self.config[k]]
        extended = "".join(f"; {k} {checkpoint['config'].get(k)} -> {self.config[k]}" for k in changed)
        if self.finished:
            why = "stopped early" if checkpoint.get("stopped_early") else f"trained its {reached} epochs"
            self.logger.info(
                f"{resume_file}: the run had finished ({why}); nothing is trained, its best state is tested."
            )
        else:
            self.logger.info(f"Resumed from {resume_file}: continuing at epoch {self.start_epoch}{extended}.")

    def fit(self, train_data, valid_data=None, verbose=True, saved=True, show_progress=False, callback_fn=None):
        """RecBole's fit; a run resumed after it had finished is not trained again. At the end the last-epoch
        checkpoint records that the run finished, and whether early stopping ended it, for a later resume."""
        if self.finished:
            return self.best_valid_score, self.best_valid_result
        result = super().fit(train_data, valid_data, verbose, saved, show_progress, callback_fn)
        if self._is_writer() and self._epoch is not None and os.path.exists(self.last_checkpoint_file):
            self._save_last_checkpoint(
                self._epoch, train_data, finished=True, stopped_early=self._epoch + 1 < self.epochs
            )
        return result

    @torch.no_grad()
    def evaluate(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
        if load_best_model and eval_data:
            if not self.config["single_spec"]:
                torch.distributed.barrier()  # rank 0 has finished writing the best checkpoint
            checkpoint_file = model_file or self.saved_model_file
            checkpoint = load_checkpoint(checkpoint_file, map_location=self.device)
            restore_model(self.model, checkpoint)
            self.logger.info(f"Loading model structure and parameters from {checkpoint_file}")
        return super().evaluate(eval_data, load_best_model=False, show_progress=show_progress)


def this_runs_last_checkpoint(config):
    """The newest ``<model>-*.last.pth`` in the checkpoint folder (by the time stored in it) that is this
    run's: every setting equal but those a resume may change (:func:`first_difference`; another dataset or
    seed is another run); None when there is none. Its data is checked when it is resumed."""
    path, _ = _newest_last_checkpoint(config)
    return path


def _newest_last_checkpoint(config):
    """(this run's newest last-epoch checkpoint or None, every candidate newest first as (checkpoint, path))."""
    files = glob.glob(os.path.join(config["checkpoint_dir"], f"{config['model']}-*{LAST_SUFFIX}"))
    candidates = sorted(((load_checkpoint(f), f) for f in files), key=lambda pair: pair[0]["saved_at"], reverse=True)
    for checkpoint, path in candidates:
        if first_difference(checkpoint["config"], config, may_differ=RESUMABLE_KEYS) is None:
            return path, candidates
    return None, candidates


def latest_last_checkpoint(config):
    """For ``--resume=latest``: :func:`this_runs_last_checkpoint`, or a CheckpointError that says why none is."""
    checkpoint_dir, model = config["checkpoint_dir"], config["model"]
    path, candidates = _newest_last_checkpoint(config)
    if path:
        return path
    if not candidates:
        raise CheckpointError(
            f"no '{model}-*{LAST_SUFFIX}' in {checkpoint_dir} to resume from; pass --resume=<path to a .last.pth file>."
        )
    key, saved, current = first_difference(candidates[0][0]["config"], config, may_differ=RESUMABLE_KEYS)
    raise CheckpointError(
        f"none of the {len(candidates)} '{model}-*{LAST_SUFFIX}' files in {checkpoint_dir} belongs to this run (the "
        f"newest, {candidates[0][1]}, has {key} = {saved!r}, this run {current!r}); start without --resume, or pass "
        "--resume=<path> with the settings that file was trained with."
    )


def is_fitted(model):
    """A model with nothing to learn by gradient (EASE, ItemKNN, Pop, SLIMElastic, ADMMSLIM, NCEPLRec, L3AE, ...):
    RecBole gives such models one placeholder parameter so that its trainer has something to step."""
    return not any(p.requires_grad and p.numel() > 1 for p in model.parameters())


class FittedTrainer(Trainer):
    """One pass over the training data (Pop counts there; closed forms were fitted when built), then one
    validation and one checkpoint whatever ``eval_step``, ``epochs`` or ``stopping_warmup`` say: RecBole's
    TraditionalTrainer skips the checkpoint when ``eval_step`` > 1 and then tests a file that was never written.

    The checkpoint records the run's settings and data fingerprint like every other; a fitted model's matrices
    (numpy and scipy objects, up to items x items) are not stored: a closed form is deterministic, so a model
    rebuilt from the checkpoint's settings on the same data (checked by the fingerprint) refits to the same
    numbers, and tensors a pass computes (Pop's counts) are stored as RecBole's "other parameters"."""

    def __init__(self, config, model):
        super().__init__(config, model)
        self.epochs, self.eval_step, self.stopping_warmup = 1, 1, 0


def _with_safe_checkpoints(recbole_trainer):
    """RecBole's special trainer for one model (NCL, RecVAE) under our checkpoints and resume: our Trainer's
    methods first in the MRO, the special trainer's own ``fit`` / ``_train_epoch`` beneath them."""
    return type(recbole_trainer.__name__, (Trainer, recbole_trainer), {"__doc__": recbole_trainer.__doc__})


def get_trainer(config, model):
    """The trainer class for ``model``: ours (safe checkpoints, resume) for every general recommender, RecBole's
    special training loop kept where a model has one; RecBole's own trainer for other model types. Models whose
    training this package cannot run were refused when their Config was built (``lookup.check_supported``)."""
    recbole_trainer = recbole_get_trainer(config["MODEL_TYPE"], config["model"])
    if not issubclass(recbole_trainer, RecBoleTrainer):  # e.g. the decision-tree trainers of context-aware models
        return recbole_trainer
    if is_fitted(model):
        return FittedTrainer
    if recbole_trainer.__name__ in ("Trainer", "TraditionalTrainer"):
        return Trainer
    return _with_safe_checkpoints(recbole_trainer)
