"""One module per program; each registers its rulesets and interpretation switches when imported.

Importing this package registers nothing by itself. :func:`load_all` imports every program's module (what a
listing of all programs, switches or settings needs); :func:`load` only what one program needs — for a program
of :data:`ALONE`, its module of the same name (which registers everything of that program:
``tests/programs/test_program_loading.py`` checks each), else every module. ``wengang screen --program
fanhuan`` thus does not import the other programs' facts models (≈ 0.1 s of start-up). Lookups that miss (a
ruleset, an interpretation switch, a setting) load every program before they give up.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

# programs whose module of the same name registers all their rulesets and switches (not ``ui_benefit``: the
# switch ``workdays.receipt_day`` that concerns it is registered by ``wengang.deadlines``, which other programs import)
ALONE = frozenset({
    "deferral", "fanhuan", "fee_rate", "hardship_living_allowance", "internship", "size_class", "skill_subsidy",
    "training_living_allowance", "ui_death_benefits", "ui_medical_premium", "ui_price_subsidy",
    "unemployment_registration", "vocational_training_subsidy",
})  # fmt: skip

_loaded_all = False


@functools.cache
def modules() -> tuple[str, ...]:
    """The program modules' names (without the package), sorted."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)))


def load_all() -> None:
    """Import every program's module (registers every ruleset and interpretation switch)."""
    global _loaded_all
    if _loaded_all:
        return
    for module in modules():
        importlib.import_module(f"{__name__}.{module}")
    _loaded_all = True


def load(program: str) -> None:
    """Register ``program``'s rulesets and switches: its own module for a program of :data:`ALONE`, else every
    program's module."""
    if _loaded_all:
        return
    if program in ALONE:
        importlib.import_module(f"{__name__}.{program}")
    else:
        load_all()
