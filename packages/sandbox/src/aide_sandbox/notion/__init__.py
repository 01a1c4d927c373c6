"""Notion API emulator at version 2025-09-03 (databases hold data sources): pages, blocks, data sources, search,
comments and users, for two workspaces."""
