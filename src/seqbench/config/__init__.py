"""The config: where it lives, composing it once, checking it, showing it.

Callers use ``from seqbench import config`` and the names below; the modules beside this one
hold one concern each (paths, value checks, keys, the _target_ allowlist, the memory estimate).
"""

from seqbench.config.compose import Composer, compose, composer
from seqbench.config.paths import CONF_DIR, NAME, group_options, searchpath_dirs
from seqbench.config.show import clean, tree
from seqbench.config.validate import Checked, check_group_overrides, validate
from seqbench.errors import one_line

__all__ = [
    "CONF_DIR",
    "NAME",
    "Checked",
    "Composer",
    "check_group_overrides",
    "clean",
    "compose",
    "composer",
    "group_options",
    "one_line",
    "searchpath_dirs",
    "tree",
    "validate",
]
