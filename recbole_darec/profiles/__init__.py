"""LLM profiles: texts per user/item, encoded to vectors, attached as RecBole atomic files."""


class ProfileError(ValueError):
    """Bad profile input; the message names the file, line or id and the fix."""


def ensure_profile_embeddings(config, kinds):
    raise NotImplementedError
