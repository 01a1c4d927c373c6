"""What aide's Google servers (Gmail, Calendar) stand on: a library, not a server. Each server declares its API and
its sign-in levels (`GoogleApi`), what each tool needs (`Permissions`), and subclasses `GoogleClient`; this package
does the rest. Every module imports the Google client libraries lazily or only for typing, so a server lists its
tools without loading them.

    scopes.py       `GoogleApi`: an API's levels and scopes; which scopes each API method accepts; the registry
                    (`aide.google.apis` entry points) that one sign-in asks every installed server's scopes from
    permissions.py  `Permissions`: each tool's declared level and API methods, closed by default
    accounts.py     each person's accounts kept in the credential store; credentials that write refreshed tokens
                    back; the errors of a refused refresh
    resolve.py      `GoogleAccounts`: which of the caller's accounts a call uses, and one client per user and account
    client.py       `GoogleClient`: per-thread services, `call` (retried) and `act` (once), errors mapped
    errors.py       `GOOGLE_ERRORS`: how Google's error bodies name a rate limit or a used-up quota (core's
                    `ErrorProfile`)
    service.py      `build_service`: a googleapiclient service from the bundled discovery document
    transport.py    `SingleAttemptHttp`: the httplib2 transport that sends an action once
    signin.py       `sign_in`: installed-app flow with PKCE on a loopback port; service-account delegation
    cli.py          `aide auth google` (an `aide.commands` entry point)
"""

__all__: list[str] = []  # the public modules are listed above; the package itself exports nothing
