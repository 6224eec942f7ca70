"""RecBole's hyper-parameter search (``recbole.trainer.HyperTuning``, hyperopt) for this package's models.

    python -m recbole_darec.hyper --model=DaRecLightGCN --dataset=lastfm --params_file=hyper/lastfm-leaky/darec.hyper \
        [--config_files="properties/protocol/rlmrec.yaml"] [--algo=exhaustive] [--max_evals=100] [--output_file=out.md]

RecBole's own ``objective_function`` builds RecBole's Config, which cannot find our models;
this one trains through :func:`recbole_darec.run_recbole_darec`. Parameters are chosen on
the validation score (the config's ``valid_metric``); test results are only reported.
Other ``--key=value`` settings hold for every trial; a key that is also searched is an error
(it would silently replace the searched value).
"""

import argparse
import logging
import sys
import time
from functools import partial


def objective_function(config_dict=None, config_file_list=None, saved=True, model=None, dataset=None, fixed=None):
    """One trial: ``fixed`` settings, then the trial's searched ``config_dict``.

    Trials run quietly (RecBole's logger at ERROR), so each prints one progress line to stderr.
    """
    from recbole_darec.quick_start import run_recbole_darec

    searched = dict(config_dict or {})
    start = time.perf_counter()
    result = run_recbole_darec(
        model, dataset, config_file_list, dict(fixed or {}, **searched, state="ERROR", show_progress=False), saved=saved
    )
    print(
        f"trial {searched}: best valid {result['best_valid_score']:.4f} ({time.perf_counter() - start:.0f} s)",
        file=sys.stderr,
        flush=True,
    )
    return {
        "model": model,
        **{k: result[k] for k in ("best_valid_score", "valid_score_bigger", "best_valid_result", "test_result")},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--params_file", required=True, help="RecBole format: '<key> choice [a,b]' per line")
    parser.add_argument("--config_files", default=None)
    parser.add_argument("--algo", default="exhaustive", help="exhaustive | random | bayes")
    parser.add_argument("--max_evals", type=int, default=100)
    parser.add_argument("--output_file", default=None)
    args, unknown = parser.parse_known_args(argv)
    from recbole.trainer import HyperTuning

    import recbole_darec  # noqa: F401  (compat layer)
    from recbole_darec.atomic_io import atomic_write_text
    from recbole_darec.checks import ConfigError
    from recbole_darec.cli import config_file_list, parse_overrides

    try:
        fixed = parse_overrides(unknown)
        with open(args.params_file) as f:
            searched = {line.split()[0] for line in f if line.strip() and not line.lstrip().startswith("#")}
        both = sorted(searched & set(fixed))
        if both:
            raise ConfigError(
                f"--{both[0]} is searched in {args.params_file}; remove it from the command line "
                "or from the search space."
            )
    except (ConfigError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    logging.getLogger().setLevel(logging.ERROR)
    config_files = config_file_list(args.config_files)
    tuner = HyperTuning(
        partial(objective_function, model=args.model, dataset=args.dataset, fixed=fixed),
        algo=args.algo,
        params_file=args.params_file,
        fixed_config_file_list=config_files,
        max_evals=args.max_evals,
    )
    tuner.run()
    lines = [
        f"# {args.model} on {args.dataset}: hyper-parameter search ({args.algo})",
        "",
        f"best params: {tuner.best_params}",
        f"best valid score: {tuner.best_score}",
        "",
        "| params | best valid | test |",
        "|---|---|---|",
    ]
    for params, result in tuner.params2result.items():
        lines.append(f"| {params} | {dict(result['best_valid_result'])} | {dict(result['test_result'])} |")
    text = "\n".join(lines) + "\n"
    if args.output_file:
        atomic_write_text(args.output_file, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
