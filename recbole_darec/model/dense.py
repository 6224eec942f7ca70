"""Models whose fit holds dense items x items matrices: how many, so a fit too large for the machine is refused before
it allocates (with the figure and the fix) instead of ending in an out-of-memory kill."""

from recbole_darec.checks import ConfigError, check_value

# float64-equivalent items x items matrices alive at the peak of each fit (RecBole's EASE and ADMMSLIM compute
# in float32 and float64; counted at 8 bytes to stay on the safe side)
DENSE_ITEM_MATRICES = {"L3AE": 4, "EASE": 3, "ADMMSLIM": 5}


# below this, a closed form's reg_weight is another model's L2 weight that a shared preset set (RLMRec's LightGCN
# preset sets reg_weight: 1e-6), not a ridge term: EASE's inverse would be near-singular
SMALLEST_RIDGE = 1e-3


def check_dense_memory(model_name, n_items, config):
    """GB the fit of ``model_name`` needs for ``n_items`` items; a ConfigError above ``dense_memory_limit_gb``."""
    matrices = DENSE_ITEM_MATRICES.get(model_name)
    if not matrices:
        return 0.0
    if model_name in ("EASE", "L3AE") and check_value(config, "reg_weight", float, 0.0) < SMALLEST_RIDGE:
        raise ConfigError(
            f"{model_name}'s reg_weight = {config['reg_weight']} is far below a ridge weight (EASE's default is 250): "
            "it is likely LightGCN's L2 weight from a preset such as rlmrec_lightgcn.yaml. Run the closed forms "
            "without that preset, or set --reg_weight for them."
        )
    limit = check_value(config, "dense_memory_limit_gb", float, 0.0, inclusive=False)
    need_gb = matrices * n_items * n_items * 8 / 1e9
    if need_gb > limit:
        raise ConfigError(
            f"{model_name} needs about {need_gb:.3g} GB for its dense {n_items:,} x {n_items:,} item-item matrices, "
            f"above dense_memory_limit_gb = {limit}: raise --dense_memory_limit_gb if this machine has the memory, "
            "or use a model whose memory grows with the interactions (LightGCN, DaRecLightGCN, ...)."
        )
    return need_gb
