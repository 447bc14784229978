"""What the actors of a process work with: its settings, a database engine per event loop, and the actors
as declared on its broker (for actors that send others)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from oms_graph.config import Settings
from oms_graph.db.engine import Database, create_database


@dataclass
class Runtime:
    """What the actors work with: the settings their process was started with, and one database engine per
    event loop (the worker's loop thread, or a test's loop)."""

    settings: Settings
    databases: dict[int, Database] = field(default_factory=dict)
    actors: Any = None  # the Actors declared on this process's broker (tasks/actors.py)

    def database(self) -> Database:
        key = id(asyncio.get_running_loop())  # a loop's id can come back for a later loop (tests): same URL
        if key not in self.databases:
            self.databases[key] = create_database(self.settings.database_url)
        return self.databases[key]


_runtime: Runtime | None = None


def use_settings(settings: Settings) -> Runtime:
    """The settings the actors of this process work with (`register` sets them; so may a direct caller)."""
    global _runtime
    if _runtime is None or _runtime.settings != settings:
        _runtime = Runtime(settings)
    return _runtime


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the actors have no settings: call register(broker, settings=...) first")
    return _runtime


def database() -> Database:
    return runtime().database()
