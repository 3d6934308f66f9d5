"""A real ``redis-server`` for tests: on a free loopback port, in a temporary directory, no
persistence, and stoppable and restartable on the same port (to test a lost room store).

    with RedisServer() as server:
        server.url                  # redis://127.0.0.1:<port>/0
        server.stop()               # the store is gone (connections refused)
        server.start()              # back on the same port, empty

The process itself is :class:`deploy.cluster.RedisProcess` (the one ``Cluster(rooms=True)``
runs). :func:`require_redis` gives the binary's path, or skips the test (loudly) when it is
missing — except under ``CI=true``, where it fails: CI installs Debian's ``redis-server``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from deploy.cluster import RedisProcess, redis_ping, redis_server_path

__all__ = ["RedisServer", "redis_ping", "redis_server_path", "require_redis"]

SKIP = "REDIS TESTS SKIPPED"


def require_redis() -> str:
    """The ``redis-server`` binary; skip the test without it (fail under ``CI=true``)."""
    path = redis_server_path()
    if path is not None:
        return path
    msg = f"{SKIP}: redis-server not found (`apt-get install redis-server`)"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(msg.replace(SKIP, "REDIS TESTS CANNOT RUN"), pytrace=False)
    print(f"\n!!! {msg} !!!")
    pytest.skip(msg)
    raise AssertionError("unreachable")


class RedisServer(RedisProcess):
    """A :class:`RedisProcess` in its own temporary directory (removed by :meth:`close`), on a
    free port unless ``port`` is given. A context manager: started on entry, closed on exit;
    :meth:`stop` and :meth:`start` in between keep the port (and lose every key)."""

    def __init__(self, port: int = 0, exe: str | None = None, timeout: float = 10.0):
        self._tmp = tempfile.TemporaryDirectory(prefix="bnsim-redis-")
        try:
            super().__init__(Path(self._tmp.name), port=port, exe=exe, timeout=timeout)
        except BaseException:
            self._tmp.cleanup()
            raise

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server and remove its temporary directory."""
        self.stop()
        self._tmp.cleanup()

    def client(self):
        """A raw ``redis`` client on this server (strings, not bytes)."""
        import redis

        return redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=2)
