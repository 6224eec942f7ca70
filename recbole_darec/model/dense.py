"""Models whose fit holds dense items x items matrices: how many, so a fit too large for the machine is refused before
it allocates (with the figure and the fix) instead of ending in an out-of-memory kill."""

from recbole_darec.checks import ConfigError, check_value

# float64-equivalent items x items matrices alive at the peak of each fit (RecBole's EASE and ADMMSLIM compute
# in float32 and float64; counted at 8 bytes to stay on the safe side)
DENSE_ITEM_MATRICES = {"L3AE": 4, "EASE": 3, "ADMMSLIM": 5}


def check_dense_memory(model_name, n_items, config):
    """GB the fit of ``model_name`` needs for ``n_items`` items; a ConfigError above ``dense_memory_limit_gb``."""
    matrices = DENSE_ITEM_MATRICES.get(model_name)
    if not matrices:
        return 0.0
    limit = check_value(config, "dense_memory_limit_gb", float, 0.0, inclusive=False)
    need_gb = matrices * n_items * n_items * 8 / 1e9
    if need_gb > limit:
        raise ConfigError(
            f"{model_name} needs about {need_gb:.3g} GB for its dense {n_items:,} x {n_items:,} item-item matrices, "
            f"above dense_memory_limit_gb = {limit}: raise --dense_memory_limit_gb if this machine has the memory, "
            "or use a model whose memory grows with the interactions (LightGCN, DaRecLightGCN, ...)."
        )
    return need_gb
