"""aide_core: what every aide MCP server stands on.

Import from the submodules: this package keeps its import light (it imports nothing) so that a stdio server starts
as fast as a bare MCP server, and importing it, or any of its modules, does no work: no files, no threads, no
logging configuration.

Public modules, for server packages and applications:

- `server`: `ServerSpec` (declare a server, `build()` an `MCPServer`) and `Runtime`
- `settings`: `AideSettings`, `ServerSettings`, `load_settings`
- `errors`: the `AideError` hierarchy and how each becomes a model-facing `ToolError`
- `guard`, `plan`, `policy`: the side-effect guard, the plan of one guarded action, and the policies a server
  declares for the guard to run on each plan (the e-mail and phone allowlists, with their settings)
- `paging`, `fencing`, `mail`: cursors and output budgets, untrusted-content fences, outgoing mail
- `retry`, `upstream`, `http`: the retry policy, upstream API errors, serving over HTTP
- `credentials`, `identity`, `stores`: secrets, the calling identity, opening aide's SQLite files
- `logs`: `register_secret`, and `configure_logging` for entry points only
- `registry`, `launch`: the `aide.servers` entry points, and the stdio launcher
- `testing`: a test's view of an in-process server (`ToolClient`, `fuzz_tools`)
- `google`: Google sign-in shared by the Google servers

`cli`, `activity` and `guard_store` are the `aide` command, the `aide-activity` server and the guard's SQLite store:
used through their commands and `ServerSpec`, not imported.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
