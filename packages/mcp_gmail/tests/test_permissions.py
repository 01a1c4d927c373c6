"""Permissions are closed by default: every Gmail tool declares the level and the API methods it needs."""

from __future__ import annotations

from aide_gmail.scopes import GMAIL, PERMISSIONS
from aide_gmail.server import spec
from aide_google.scopes import method_scopes


def test_every_gmail_tool_declares_the_level_and_the_api_methods_it_needs() -> None:
    tools = spec.tool_names
    assert "send_email" in tools and "manage_filter" in tools  # both tiers
    assert PERMISSIONS.undeclared(tools) == []


def test_every_declared_method_is_one_the_gmail_api_has() -> None:
    known = method_scopes(GMAIL.api, GMAIL.version)
    for tool in spec.tool_names:
        requirement = PERMISSIONS.requirement(tool)
        assert requirement is not None
        assert requirement.methods, f"{tool} declares no API method"
        assert all(GMAIL.method_id(method) in known for method in requirement.methods), tool
