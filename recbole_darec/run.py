"""Train and evaluate a model, RecBole-style (``run_recbole_darec.py``, ``python -m recbole_darec run``,
``recbole-darec run``).

    python run_recbole_darec.py --model=DaRecLightGCN --dataset=ml-100k [--key=value ...]
    python run_recbole_darec.py --model=LightGCN --dataset=lastfm --config_files="a.yaml b.yaml"
    python run_recbole_darec.py --model=DaRecLightGCN --dataset=ml-100k --resume=latest
    python run_recbole_darec.py --model=DaRecLightGCN --dataset=ml-100k --nproc=2

Any other ``--key=value`` overrides that configuration key (RecBole's rule).
"""

import argparse
import signal
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="run_recbole_darec.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", "-m", default="DaRecLightGCN")
    parser.add_argument("--dataset", "-d", default="ml-100k")
    parser.add_argument("--config_files", default=None, help="space-separated YAML files")
    parser.add_argument(
        "--resume", default=None, help="a *.last.pth file, 'latest' (this run's newest), or 'if_any' (else a new run)"
    )
    parser.add_argument("--nproc", type=int, default=1, help="processes for distributed training")
    parser.add_argument("--world_size", type=int, default=-1)
    parser.add_argument("--ip", default="localhost")
    parser.add_argument("--port", default="5678")
    parser.add_argument("--group_offset", type=int, default=0)
    args, settings = parser.parse_known_args(argv)

    from recbole_darec.checkpoint import CheckpointError
    from recbole_darec.checks import ConfigError
    from recbole_darec.cli import parse_overrides
    from recbole_darec.data import AtomicFileError, DatasetError, DatasetNotFoundError
    from recbole_darec.model.lookup import UnknownModelError, UnsupportedModelError
    from recbole_darec.profiles import ProfileError
    from recbole_darec.quick_start import run

    # SIGTERM behaves like Ctrl-C, so both end with the resume hint below.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    config_files = args.config_files.split() if args.config_files else None
    try:
        result = run(
            args.model,
            args.dataset,
            config_file_list=config_files,
            config_dict=parse_overrides(settings),
            resume=args.resume,
            nproc=args.nproc,
            world_size=args.world_size,
            ip=args.ip,
            port=args.port,
            group_offset=args.group_offset,
        )
    except KeyboardInterrupt:
        print(
            "\nInterrupted. Continue from the last completed epoch with the same command plus --resume=latest",
            file=sys.stderr,
        )
        return 130
    except (
        UnknownModelError,
        UnsupportedModelError,
        ConfigError,
        CheckpointError,
        DatasetError,
        DatasetNotFoundError,
        AtomicFileError,
        ProfileError,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if result:
        print(f"best valid: {dict(result['best_valid_result'] or {})}")
        print(f"test result: {dict(result['test_result'] or {})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
