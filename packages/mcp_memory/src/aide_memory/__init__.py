"""aide: long-term memory MCP server on SQLite.

`aide_memory.server.spec` is the server (registered under the `aide.servers` entry point as "memory"); the store,
ranking and embedders are in `store`, `recall` and `embeddings`. Nothing heavy is imported here: a host that
spawns the server over stdio waits for these imports.
"""
