"""`wengang.programs.load(program)` registers everything of that program that `load_all()` does.

A program with a module of its own name is loaded by importing that module only (``wengang screen --program
fanhuan`` does not import the other programs). That is right only while no other module registers a ruleset or
an interpretation switch of that program: each such program is loaded alone in a fresh interpreter and compared
with every module loaded. Also checked: the settings a rule reads and no policy file declares are read with one
unit and label by every ruleset, so ``settings.loaded_setting_specs`` (the programs imported so far) gives the
same spec as ``setting_specs`` (every program) for each name it has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

# argv[1]: a program to load, or "*" for every module; prints what is registered for each program
PROBE = """
import json, sys
import wengang.programs as P
from wengang.rules import interpretations
from wengang.rules.engine import RULESETS
if sys.argv[1] == "*":
    P.load_all()
else:
    P.load(sys.argv[1])
out = {}
for (program, name) in RULESETS:
    out.setdefault(program, {"rulesets": [], "switches": []})["rulesets"].append(name)
for s in interpretations.REGISTRY.values():
    for program in s.programs:
        out.setdefault(program, {"rulesets": [], "switches": []})["switches"].append(s.name)
print("@@" + json.dumps({p: {k: sorted(v) for k, v in d.items()} for p, d in out.items()}))
"""


def registered(program: str) -> dict[str, dict[str, list[str]]]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, program], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC}
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.rsplit("@@", 1)[1])


def test_a_program_loaded_alone_registers_all_of_itself() -> None:
    import wengang.programs as P

    everything = registered("*")
    alone = [p for p in sorted(everything) if p in P.modules()]
    assert "fanhuan" in alone
    for program in alone:
        got = registered(program)
        assert got.get(program) == everything[program], program
        # switches for every program ("*") come from the rules themselves, loaded either way
        assert got.get("*") == everything.get("*"), program


def test_undeclared_settings_are_read_alike_by_every_ruleset() -> None:
    from wengang.policies import load_policy_set
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS
    from wengang.rules.expr import Setting

    load_all()
    declared = {n for doc in load_policy_set().documents for b in doc.programs.values() for n in b.region_settings}
    seen: dict[str, set[tuple[str | None, str | None]]] = {}
    for rs in RULESETS.values():
        exprs = [c.expr for c in rs.checks] + [o.expr for o in rs.outputs] + ([rs.amount] if rs.amount else [])
        for e in exprs:
            for node in e.walk():
                if isinstance(node, Setting) and node.name not in declared:
                    seen.setdefault(node.name, set()).add((node.fmt, node.label))
    assert {name: specs for name, specs in seen.items() if len(specs) > 1} == {}


def test_loaded_setting_specs_agree_with_every_programs() -> None:
    from wengang.programs import load
    from wengang.settings import loaded_setting_specs, setting_specs

    load("fanhuan")
    some = loaded_setting_specs()
    every = setting_specs()
    assert some and {name: every[name] for name in some} == some
