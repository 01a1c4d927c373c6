"""Google sign-in for aide's Google servers (Gmail, Calendar): scopes, stored accounts, the installed-app OAuth flow
and the API service builder. Needs the `google` extra (`aide-core[google]`); every module imports the Google
libraries lazily or only for typing, so `aide_core` itself stays importable without them.

    scopes.py     sign-in levels (readonly ... full) and which scopes each API method accepts
    accounts.py   accounts kept in the credential store; credentials that write refreshed tokens back
    signin.py     `sign_in`: installed-app flow with PKCE on a loopback port (google-auth-oauthlib)
    service.py    `build_service`: a googleapiclient service, optionally against another API root (the sandbox)
    cli.py        `aide auth google`
"""
