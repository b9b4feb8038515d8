"""`qa mcp`: the service as a Model Context Protocol server, for agents (Claude Desktop, Cursor and the like).

    tools.py  the tools (search, ask, list_documents) over the composition root's objects, on the official SDK
    http.py   the streamable-HTTP transport: the API key and wrong-key throttle of the HTTP API, uvicorn

Over stdio the client starts `qa mcp` itself on its own machine, so it is trusted as the CLI is; over HTTP every
request needs an API key when keys are set, exactly as the HTTP API does (README, "MCP").
"""
