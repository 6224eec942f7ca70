"""Models of this package; :func:`recbole_darec.utils.get_model` finds these before RecBole's."""

__all__ = []
