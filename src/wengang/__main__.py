"""``python -m wengang``: the same as the ``wengang`` command."""

from wengang.cli import main

main()
