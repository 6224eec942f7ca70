"""A seeded synthetic dataset whose profiles have a known shared and a known specific part (issue 49's ground
truth), at any size (issue 48's cost benchmark), written as this package's files.

    python -m recbole_darec synthetic --name=sim [--users=2000] [--items=1500] [--density=0.01]
        [--shared_dim=16] [--cf_dim=16] [--llm_dim=16] [--cf_share=0.5] [--llm_share=0.5] [--noise_share=0.1]
        [--affinity_scale=2.0] [--activity_exponent=1.0] [--popularity_exponent=1.0] [--profile_dim=384]
        [--seed=2020] [--out=dataset]

Every user and item has three unit-variance latent parts: *shared* factors (they shape the interactions and
the profile), *CF-specific* factors (they shape the interactions only; no text says them) and *LLM-specific*
factors (in the profile only; irrelevant to the interactions).

* Interactions: a user's affinity for an item is ``sqrt(1 - cf_share) <s_u, s_i> + sqrt(cf_share) <c_u, c_i>``
  (each inner product scaled to unit variance); a user's number of interactions follows a power law
  (``activity_exponent``) with mean ``density * items``, and the items are drawn without replacement with
  probabilities proportional to ``exp(affinity_scale * affinity) * popularity`` (item popularity: a power law,
  ``popularity_exponent``), through the Gumbel top-k trick, in chunks of users (memory grows with the items).
  ``affinity_scale`` sets how much the latent factors decide the draws against popularity. Test Recall@20 at 3,000
  users x 2,000 items, about 9 training interactions a user (``docs/results/scripts/simulator_ceiling.py``): at 1,
  the true scores 0.39, popularity 0.30, popularity plus the true shared part 0.34 (the factors hardly matter); at
  the default 2, the true scores 0.52, popularity 0.23, popularity plus the true shared part 0.36 (what perfect
  profiles could add to a popularity model).
* Profile vectors: a fixed random orthonormal map of ``[sqrt(1 - llm_share) s, sqrt(llm_share) l]`` into
  ``profile_dim`` dimensions, plus isotropic noise holding ``noise_share`` of the variance, unit-normalised.
  ``llm_share`` is the share of the profile's signal that says nothing about interactions.
* Split: each user's interactions held out at random, 10% validation and 10% test (at least one kept for
  training), as ``convert interactions`` does; the profiles are made from the factors, never from interactions,
  so no held-out interaction leaks into them.

Writes ``<out>/<name>/``: the three ``.inter`` files and ``<name>.yaml`` (as the converters do), the supplied
vectors ``<name>.useremb`` / ``.itememb`` (RecBole atomic files, 7 significant digits, no ``.meta.json``: used
as they are), and ``<name>.truth/`` with the factors (``.npy``, rows in the order of the raw ids ``1..n``)
and ``knobs.json``. The same knobs and seed give the same bytes.
"""

import argparse
import json
import os
import sys

import numpy as np
import pandas as pd

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.convert.common import ConversionError, write_split_config, write_splits
from recbole_darec.convert.interactions import split_per_user
from recbole_darec.filenames import vector_path
from recbole_darec.profiles.store import write_embedding_file

# knob: (type, lowest allowed, highest allowed, default)
KNOBS = {
    "users": (int, 10, 10**7, 2000),
    "items": (int, 10, 10**7, 1500),
    "density": (float, 1e-6, 0.5, 0.01),
    "shared_dim": (int, 1, 1024, 16),
    "cf_dim": (int, 1, 1024, 16),
    "llm_dim": (int, 1, 1024, 16),
    "cf_share": (float, 0.0, 1.0, 0.5),
    "llm_share": (float, 0.0, 1.0, 0.5),
    "noise_share": (float, 0.0, 0.99, 0.1),
    "affinity_scale": (float, 0.0, 20.0, 2.0),
    "activity_exponent": (float, 0.0, 5.0, 1.0),
    "popularity_exponent": (float, 0.0, 5.0, 1.0),
    "profile_dim": (int, 2, 4096, 384),
    "seed": (int, 0, 2**32 - 1, 2020),
}
FACTOR_PARTS = ("shared", "cf", "llm")  # the latent parts of every user and item (see the module docstring)
CHUNK = 1024  # users whose affinities are drawn at once: CHUNK x items float64


def check_knobs(knobs):
    """The knobs with defaults filled in; a knob out of range, of the wrong type or unknown is refused by name."""
    unknown = sorted(set(knobs) - set(KNOBS))
    if unknown:
        raise ConversionError(f"unknown knob(s) {unknown}; the knobs are {sorted(KNOBS)}.")
    checked = {}
    for name, (kind, low, high, default) in KNOBS.items():
        value = knobs.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and int(value) != value):
            raise ConversionError(f"--{name}={value!r} must be {'an integer' if kind is int else 'a number'}.")
        if not low <= value <= high:
            raise ConversionError(f"--{name}={value} is out of range: it must lie in [{low}, {high}].")
        checked[name] = kind(value)
    if checked["shared_dim"] + checked["llm_dim"] > checked["profile_dim"]:
        raise ConversionError(
            f"--profile_dim={checked['profile_dim']} is below shared_dim + llm_dim = "
            f"{checked['shared_dim'] + checked['llm_dim']}: the profile map could not keep both parts apart."
        )
    mean_activity = checked["density"] * checked["items"]
    if mean_activity < 3 or mean_activity > checked["items"] / 2:
        raise ConversionError(
            f"--density={checked['density']} gives {mean_activity:.1f} interactions a user on average for "
            f"{checked['items']} items: it must give between 3 (a split needs them) and half the items."
        )
    return checked


def _unit_inner(a, b):
    """``a @ b.T`` scaled so that it has unit variance when a's and b's entries do."""
    return (a @ b.T) / np.sqrt(a.shape[1])


def _power_law(rng, n, exponent):
    """n positive weights with a power-law tail (Pareto with shape ``1 / exponent``; constant at 0)."""
    if exponent == 0:
        return np.ones(n)
    return (1 - rng.random(n)) ** (-exponent)


def _activity_counts(activity, mean, n_items):
    """Interactions per user proportional to ``activity``, each in [3, n_items / 2], averaging ``mean``: the scale is
    found by bisection, because clipping a heavy tail moves the mean."""
    low, high = 0.0, mean * len(activity) / activity.sum() * 1e3

    def counts(scale):
        return np.clip(np.rint(activity * scale), 3, n_items // 2).astype(int)

    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if counts(middle).mean() < mean else (low, middle)
    return counts(high)


def affinity(knobs, factors, rows=slice(None), parts=("shared", "cf")):
    """``affinity_scale`` times the users' (``rows``) affinity for every item over the latent ``parts``:
    ``sqrt(1 - cf_share) <s_u, s_i> + sqrt(cf_share) <c_u, c_i>`` by default (the draws add popularity and Gumbel
    noise); ``factors``: ``{"user_shared": array, ...}`` as :func:`generate` draws them or :func:`read_truth`
    reads them."""
    weights = {"shared": np.sqrt(1 - knobs["cf_share"]), "cf": np.sqrt(knobs["cf_share"])}
    total = sum(weights[part] * _unit_inner(factors[f"user_{part}"][rows], factors[f"item_{part}"]) for part in parts)
    return knobs["affinity_scale"] * total


def generate(knobs):
    """``(interactions DataFrame[user, item], {kind: vectors}, truth arrays)`` for checked ``knobs``."""
    rng = np.random.default_rng(knobs["seed"])
    n_users, n_items = knobs["users"], knobs["items"]
    factors = {
        f"{kind}_{part}": rng.standard_normal((n, knobs[f"{part}_dim"]))
        for kind, n in (("user", n_users), ("item", n_items))
        for part in FACTOR_PARTS
    }
    counts = _activity_counts(_power_law(rng, n_users, knobs["activity_exponent"]), knobs["density"] * n_items, n_items)
    popularity = np.log(_power_law(rng, n_items, knobs["popularity_exponent"]))
    users, items = [], []
    for start in range(0, n_users, CHUNK):
        logits = affinity(knobs, factors, slice(start, min(start + CHUNK, n_users))) + popularity
        logits += rng.gumbel(size=logits.shape)  # Gumbel top-k: k draws without replacement
        for offset, row in enumerate(logits):
            chosen = np.argpartition(-row, counts[start + offset] - 1)[: counts[start + offset]]
            users.append(np.full(len(chosen), start + offset + 1))
            items.append(np.sort(chosen) + 1)
    table = pd.DataFrame({"user": np.concatenate(users).astype(str), "item": np.concatenate(items).astype(str)})
    basis = np.linalg.qr(rng.standard_normal((knobs["profile_dim"], knobs["shared_dim"] + knobs["llm_dim"])))[0]
    vectors = {}
    for kind in ("user", "item"):
        signal = np.hstack(
            [
                np.sqrt(1 - knobs["llm_share"]) * factors[f"{kind}_shared"] / np.sqrt(knobs["shared_dim"]),
                np.sqrt(knobs["llm_share"]) * factors[f"{kind}_llm"] / np.sqrt(knobs["llm_dim"]),
            ]
        )
        noise = rng.standard_normal((len(signal), knobs["profile_dim"])) / np.sqrt(knobs["profile_dim"])
        mixed = np.sqrt(1 - knobs["noise_share"]) * signal @ basis.T + np.sqrt(knobs["noise_share"]) * noise
        vectors[kind] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    truth = dict(factors, profile_map=basis, item_popularity=popularity, user_activity=counts.astype(float))
    return table, vectors, truth


def truth_folder(data_folder, name):
    """Where :func:`write_dataset` puts a dataset's ground truth."""
    return os.path.join(data_folder, f"{name}.truth")


def read_truth(data_folder, name):
    """``{"user_shared": array, ...}``: the true factors of a generated dataset (rows: raw ids ``1..n``) and its
    items' popularity, with ``knobs``; a dataset not written by this generator is refused, naming the folder
    looked for."""
    folder = truth_folder(data_folder, name)
    if not os.path.isfile(os.path.join(folder, "knobs.json")):
        raise FileNotFoundError(
            f"{folder}: no ground truth (knobs.json); only datasets written by `python -m recbole_darec synthetic` "
            "have one."
        )
    names = [f"{kind}_{part}" for kind in ("user", "item") for part in FACTOR_PARTS] + ["item_popularity"]
    truth = {name: np.load(os.path.join(folder, f"{name}.npy")) for name in names}
    with open(os.path.join(folder, "knobs.json")) as f:
        truth["knobs"] = json.load(f)
    return truth


def write_dataset(name, out, knobs):
    """Generate and write ``<out>/<name>/`` (see the module docstring); returns its folder."""
    knobs = check_knobs(knobs)
    table, vectors, truth = generate(knobs)
    splits, _ = split_per_user(table, 0.1, 0.1, "random", knobs["seed"])
    folder = os.path.join(out, name)
    write_splits(folder, name, splits)
    write_split_config(
        folder, name, "train_valid", f"synthetic (python -m recbole_darec synthetic), seed {knobs['seed']}"
    )
    for kind, matrix in vectors.items():
        ids = [str(i) for i in range(1, len(matrix) + 1)]
        write_embedding_file(vector_path(folder, name, kind), kind, ids, matrix)
    truth_dir = truth_folder(folder, name)
    os.makedirs(truth_dir, exist_ok=True)
    for key, array in truth.items():
        np.save(os.path.join(truth_dir, f"{key}.npy"), np.ascontiguousarray(array))
    atomic_write_text(os.path.join(truth_dir, "knobs.json"), json.dumps(knobs, indent=1, sort_keys=True) + "\n")
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m recbole_darec synthetic",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", default="dataset")
    for knob, (kind, low, high, default) in KNOBS.items():
        parser.add_argument(f"--{knob}", type=float if kind is float else int, default=default, help=f"[{low}, {high}]")
    args = parser.parse_args(argv)
    knobs = {knob: getattr(args, knob) for knob in KNOBS}
    try:
        write_dataset(args.name, args.out, knobs)
    except ConversionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
