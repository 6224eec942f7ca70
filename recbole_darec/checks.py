"""Configuration checks shared by every module: one error type, one range check, one weight check.

A leaf module (it imports nothing of this package), so models, data and tools can all use it
without importing the configuration machinery.
"""


class ConfigError(ValueError):
    """A configuration value that cannot work; the message names the key and the fix."""


def check_value(config, key, kind, low, inclusive=True, choices=None):
    """Raise :class:`ConfigError` unless ``config[key]`` is a ``kind`` >= (or >) ``low``, or one of ``choices``."""
    value = config[key]
    if choices is not None:
        if value not in choices:
            raise ConfigError(
                f"config key '{key}' = {value!r} is not one of {sorted(choices)}; set --{key}=<one of them>."
            )
        return value
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok_type = is_number if kind is float else isinstance(value, int) and not isinstance(value, bool)
    if not ok_type:
        raise ConfigError(
            f"config key '{key}' = {value!r} must be a{'n integer' if kind is int else ' number'}; "
            f"set it as --{key}=<{kind.__name__}> or in a YAML file."
        )
    if value < low or (value == low and not inclusive):
        bound = f">= {low}" if inclusive else f"> {low}"
        raise ConfigError(f"config key '{key}' = {value!r} is out of range: it must be {bound}.")
    return value


def check_weight(config, key):
    """A non-negative loss weight from the config, as a float; 0 switches its term off."""
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"config key '{key}' = {value!r} must be a number >= 0 (0 switches the term off).")
    return float(value)
