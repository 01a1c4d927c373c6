"""Where `--sandbox` finds the emulators, for every command that takes it (`aide serve`, `call`, `tools`, `doctor`,
`chat`, and `python -m aide_core.launch NAME --sandbox`). Product code never imports the sandbox: aide-sandbox
registers a function under the `aide.sandbox` entry point, which starts the emulators in this process and returns
settings whose servers point at them. Imported only when `--sandbox` is given."""

from __future__ import annotations

from collections.abc import Callable

from aide_core.settings import AideSettings

__all__ = ["start_sandbox"]


def start_sandbox(settings: AideSettings) -> AideSettings | None:
    """`settings` pointed at emulators started in this process; None when aide-sandbox is not installed (each
    command says so in its own way: a warning, or a one-line error)."""
    from importlib.metadata import entry_points  # looked up per call, so a test can stand in for the package

    points = list(entry_points(group="aide.sandbox"))
    if not points:
        return None
    start: Callable[[AideSettings], AideSettings] = points[0].load()
    return start(settings)
