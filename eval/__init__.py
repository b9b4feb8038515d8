"""Offline evaluation of the QA service on question sets (see docs of `eval.commands`).

Everything talks to the service only through `/v1/search`, `/v1/ask` and `/v1/info`, so any
deployment (or the in-process app) is scored the same way.
"""
