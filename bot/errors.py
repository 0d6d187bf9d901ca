"""The one error root of the ``bot`` package and its direct children."""


class TongguanError(Exception):
    """Base class of every error raised on purpose by ``bot``."""


class ConfigError(TongguanError):
    """A setting is missing or invalid.

    Args:
        key: the setting's name as an admin writes it (``database_url``).
        problem: what is wrong, one short phrase.
    """

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config: {key}: {problem}")
        self.key = key
        self.problem = problem


class ActionError(TongguanError):
    """A registered action failed in a way the user should hear about.

    ``zh`` and ``en`` are shown to the user; the flow stays where it was, so the user can
    try again — unless ``final``: trying again cannot help (the ID is bound to someone
    else, say), and the flow ends.
    """

    def __init__(self, zh: str, en: str, *, code: str = "action_failed",
                 final: bool = False) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.code = code
        self.final = final
