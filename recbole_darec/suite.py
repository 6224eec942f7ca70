"""Suite files (``properties/suites/``): what a suite runs, where its rows live, and reading them back.

A suite names its seeds, settings for every run and, per dataset and backbone, preset files and models (the
backbone first: the baseline); a model may be a variant, ``{name, model, settings}``, kept in a folder of its own
(:func:`group_folder`). ``benchmark`` runs a suite; ``benchmark`` and ``robustness_report`` report on its rows.
"""

import os

import yaml

from recbole_darec.cli import seeds_from
from recbole_darec.reporting import read_rows


class SuiteError(ValueError):
    """A suite file that cannot be run; the message names the file, the entry and the fix."""


def load_suite(path):
    """The suite file as ``(seeds text, settings, [(dataset, backbone, config files, models, settings)])``."""
    if not os.path.isfile(path):
        raise SuiteError(f"{path}: no such suite file.")
    with open(path, encoding="utf-8") as f:
        suite = yaml.safe_load(f) or {}
    unknown = set(suite) - {"seeds", "settings", "datasets"}
    if unknown:
        raise SuiteError(f"{path}: unknown top-level key(s) {sorted(unknown)}; a suite has seeds, settings, datasets.")
    seeds = suite.get("seeds", 5)
    seeds = ",".join(map(str, seeds)) + "," if isinstance(seeds, list) else str(seeds)
    try:
        seeds_from(seeds)
    except ValueError as err:
        raise SuiteError(f"{path}: {err}.") from None
    groups = []
    for dataset, entry in (suite.get("datasets") or {}).items():
        dataset_files = list((entry or {}).get("config_files") or [])
        backbones = (entry or {}).get("backbones") or {}
        if not backbones:
            raise SuiteError(f"{path}: dataset '{dataset}' lists no backbones.")
        for backbone, spec in backbones.items():
            models = [_model_entry(path, dataset, backbone, item) for item in (spec or {}).get("models") or []]
            if not models or models[0] != (backbone, backbone, {}):
                raise SuiteError(
                    f"{path}: {dataset} / {backbone}: 'models' must start with the backbone itself ({backbone}), "
                    "the baseline of its comparisons."
                )
            files = dataset_files + list(spec.get("config_files") or [])
            for file in files:
                if not os.path.isfile(file):
                    raise SuiteError(f"{path}: {dataset} / {backbone}: config file {file} does not exist.")
            groups.append((dataset, backbone, files, models, dict(spec.get("settings") or {})))
    if not groups:
        raise SuiteError(f"{path}: no datasets to run.")
    return seeds, dict(suite.get("settings") or {}), groups


def chosen_seeds(path, suite_seeds, wanted):
    """``wanted`` (a ``--seeds`` text) when every seed it names is one of the suite's, else a SuiteError."""
    try:
        chosen, known = seeds_from(wanted), seeds_from(suite_seeds)
    except ValueError as err:
        raise SuiteError(str(err)) from None
    outside = [seed for seed in chosen if seed not in known]
    if outside:
        raise SuiteError(
            f"{path} runs seeds {', '.join(map(str, known))}; --seeds={wanted} names {', '.join(map(str, outside))} "
            "outside them (change the suite's seeds to run others)."
        )
    return wanted


def _model_entry(path, dataset, backbone, entry):
    """``(name, model, settings)`` of a suite's model entry: a model name, or a variant mapping."""
    if isinstance(entry, str):
        return entry, entry, {}
    if not isinstance(entry, dict) or set(entry) - {"name", "model", "settings"} or not entry.get("name"):
        raise SuiteError(
            f"{path}: {dataset} / {backbone}: a model is a name or {{name: ..., model: ..., settings: {{...}}}}, "
            f"got {entry!r}."
        )
    return entry["name"], entry.get("model", entry["name"]), dict(entry.get("settings") or {})


def group_name(dataset, backbone, variant=None):
    return f"{dataset} / {backbone}" + (f" / {variant}" if variant else "")


def group_folder(out, dataset, backbone, variant=None):
    folder = os.path.join(out, f"{dataset}-{backbone}")
    return os.path.join(folder, variant) if variant else folder


def variants(models):
    """``[(variant folder name or None, [model classes], settings)]``: plain models together, each variant alone."""
    plain = [model for name, model, settings in models if not settings and name == model]
    variants = [(name, [model], settings) for name, model, settings in models if settings or name != model]
    return [(None, plain, {})] + variants


def group_rows(out, dataset, backbone, models):
    """The runs of one (dataset, backbone), variants renamed to their names."""
    rows = []
    for variant, classes, _ in variants(models):
        for row in read_rows(os.path.join(group_folder(out, dataset, backbone, variant), "results.csv")):
            if row["model"] in classes:
                rows.append(dict(row, model=variant or row["model"]))
    return rows
