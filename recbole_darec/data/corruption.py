"""Controlled corruption of profile vectors: how each method copes when a share of the profiles is wrong.

Applied in memory, where a model reads the vectors (:meth:`recbole_darec.data.dataset.Dataset.profile_matrix`),
never written into the vector files or the texts, so the cache and the leakage audit see the clean profiles.
Keys (``properties/overall.yaml``):

* ``profile_corruption_fraction``: the share of the users and of the items with a vector whose vectors are
  corrupted (0 = none: the vectors are the files' exactly);
* ``profile_corruption_kind``: ``shuffle`` (the chosen rows' vectors are moved round one cycle among
  themselves, so each describes someone else: the realistic failure), ``noise`` (isotropic Gaussian noise of
  ``profile_corruption_noise_ratio`` times the row's norm added, then the row rescaled to its clean norm) or
  ``random`` (a random direction at the row's clean norm);
* ``profile_corruption_side``: ``both``, ``user`` or ``item``;
* ``profile_corruption_seed``: its own seed, so the same rows are corrupted for every model and training seed.

A corrupted run records :func:`corruption_tag` in its data fingerprint (checkpoints, ``compare`` rows), so it
is never resumed as, compared with or skipped as a clean run.
"""

import numpy as np
import torch

from recbole_darec.checks import ConfigError, check_value

KINDS = ("shuffle", "noise", "random")
SIDES = ("both", "user", "item")


def corruption_settings(config):
    """The checked corruption keys of ``config`` as a dict; None when nothing is corrupted."""
    fraction = check_value(config, "profile_corruption_fraction", float, 0.0)
    if fraction > 1:
        raise ConfigError(f"config key 'profile_corruption_fraction' = {fraction} must be in [0, 1].")
    settings = {
        "kind": check_value(config, "profile_corruption_kind", str, None, choices=set(KINDS)),
        "side": check_value(config, "profile_corruption_side", str, None, choices=set(SIDES)),
        "seed": check_value(config, "profile_corruption_seed", int, 0),
        "noise_ratio": check_value(config, "profile_corruption_noise_ratio", float, 0.0, inclusive=False),
    }
    return dict(settings, fraction=float(fraction)) if fraction > 0 else None


def corruption_tag(config):
    """A canonical description of the corruption for fingerprints (``kind fraction side seed [ratio]``), or None."""
    settings = corruption_settings(config)
    if settings is None:
        return None
    ratio = f" noise_ratio={settings['noise_ratio']:g}" if settings["kind"] == "noise" else ""
    return (
        f"{settings['kind']} fraction={settings['fraction']:g} side={settings['side']} seed={settings['seed']}{ratio}"
    )


def corrupted_rows(matrix, fraction, seed, kind):
    """Indices of the rows to corrupt: ``round(fraction * n)`` of the ``n`` rows that have a vector (not the
    [PAD] row 0, not all-zero rows), drawn by a generator of ``seed`` and the side (``user``/``item``)."""
    present = np.flatnonzero(matrix.abs().sum(dim=1).numpy() > 0)
    present = present[present > 0]
    rng = np.random.default_rng([seed, 0 if kind == "user" else 1])
    count = int(round(fraction * len(present)))
    return np.sort(rng.choice(present, size=count, replace=False)), rng


def corrupt_profiles(matrix, kind, settings):
    """``matrix`` ([n, d], one row per internal id) with ``settings``' corruption applied to the ``kind`` side;
    the same tensor when that side is not corrupted."""
    if settings is None or settings["side"] not in ("both", kind):
        return matrix
    rows, rng = corrupted_rows(matrix, settings["fraction"], settings["seed"], kind)
    if len(rows) == 0:
        return matrix
    result = matrix.clone()
    clean = matrix[rows].double()
    norms = clean.norm(dim=1, keepdim=True)
    if settings["kind"] == "shuffle":
        if len(rows) < 2:
            raise ConfigError(
                f"profile_corruption_fraction = {settings['fraction']} selects {len(rows)} {kind} row: "
                "shuffle needs two or more rows to exchange; raise the fraction."
            )
        order = rng.permutation(len(rows))
        # one cycle through a random order: every chosen row receives another chosen row's vector
        result[rows[order]] = matrix[rows[np.roll(order, -1)]]
        return result
    direction = torch.from_numpy(rng.standard_normal(clean.shape))
    direction = direction / direction.norm(dim=1, keepdim=True)
    if settings["kind"] == "noise":
        noisy = clean + direction * norms * settings["noise_ratio"]
        corrupted = noisy / noisy.norm(dim=1, keepdim=True).clamp(min=1e-12) * norms
    else:  # random
        corrupted = direction * norms
    result[rows] = corrupted.to(matrix.dtype)
    return result
