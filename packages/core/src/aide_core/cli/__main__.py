"""`python -m aide_core.cli`: the `aide` command without its console script."""

from aide_core.cli import main

main()
