"""The one parser of ``--key=value`` configuration overrides on a command line.

Every entry point parses its own flags with argparse and hands what is left to
:func:`parse_overrides`; the result goes to RecBole's Config as ``config_dict`` (this
package's Config never reads ``sys.argv`` itself).
"""

import json

import yaml

from recbole_darec.checks import ConfigError


def parse_value(text):
    """A command-line value as a YAML config file would read it (numbers, booleans, lists, dicts);
    ``1e-3`` is a number too (YAML 1.1 alone would keep it a string)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_overrides(args):
    """``{key: value}`` from ``--key=value`` arguments; anything else is a :class:`ConfigError`."""
    overrides = {}
    for arg in args:
        if not (arg.startswith("--") and "=" in arg and len(arg.split("=", 1)[0]) > 2):
            raise ConfigError(f"unrecognised argument {arg!r}: settings are given as --key=value.")
        key, value = arg[2:].split("=", 1)
        overrides[key] = parse_value(value)
    return overrides


def override_args(overrides):
    """The inverse of :func:`parse_overrides`, for passing settings on to a child process."""
    return [f"--{key}={value if isinstance(value, str) else json.dumps(value)}" for key, value in overrides.items()]


def name_list(text):
    """The names of a comma-separated option (``--models=A,B``), blanks dropped; empty for no text."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def config_file_list(text):
    """The files of a ``--config_files="a.yaml b.yaml"`` option as RecBole takes them; None for none."""
    return text.split() if text else None


MAX_SEED_COUNT = 100  # a larger bare number is a seed written without its comma, not a count


def seeds_from(text):
    """``3`` means seeds 2020, 2021, 2022 (RecBole's default seed onwards); ``1,5,9`` lists them
    (a single listed seed needs the comma: ``2022,``). A bare number above ``MAX_SEED_COUNT`` is refused:
    ``--seeds=2020`` meant as the seed 2020 would otherwise start 2020 runs."""
    try:
        if "," in text:
            return [int(s) for s in text.split(",") if s.strip()]
        count = int(text)
    except ValueError:
        raise ValueError(f"--seeds={text}: give a count (3) or a list of seeds (2021,2023,)") from None
    if not 1 <= count <= MAX_SEED_COUNT:
        raise ValueError(
            f"seeds {text} is read as a number of seeds (2020 onwards) and must be 1 to {MAX_SEED_COUNT}; "
            f"for the one seed {text} write --seeds={text}, (in a suite file: seeds: [{text}])"
        )
    return [2020 + i for i in range(count)]
