"""Where a lecturer's room lives: the view the projector shows, for the students who follow it.

A room is a short code (four characters a class can read from the back of a hall: no 0/O,
1/I/L, 2/Z, 5/S, 6/G, 8/B), a version number that grows with every move of the lecturer, and
the view itself — a JSON-able dict (page, tab, control values, preset). Followers poll the
version (one small read) and read the view only when it changed.

Two stores with one interface:

- :class:`MemoryStore`, the default: a dict in the app's process (one ``streamlit run app.py``
  needs no other service);
- :class:`RedisStore`, chosen with ``BNSIM_ROOM_STORE=redis://host:port/db``, so that app
  replicas behind a balancer share their rooms.

A room expires when the lecturer has not moved for ``ttl`` seconds (``BNSIM_ROOM_TTL``,
default 3 hours); reading an expired room gives ``None``, like an unknown code. A store that
cannot be reached raises :class:`StoreUnavailable` (never a client library's own error), so
the page can say "lost the room, retrying" and keep what it shows.

This module imports neither Streamlit nor Redis at import time (``redis`` only when a Redis
store is made), so tests and benchmarks use it directly::

    store = MemoryStore(ttl=60)
    code = store.create()
    store.publish(code, {"page": "app.py", "tab": None, "values": {}})   # -> 1
    store.version(code), store.read(code)                               # 1, (1, {...})
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from typing import Any

ALPHABET = "ACDEFHJKMNPRTUVWXY3479"  # read aloud and from afar without confusion
CODE_LENGTH = 4
DEFAULT_TTL = 3 * 3600.0  # a long lecture
MAX_TTL = 366 * 24 * 3600.0  # a year: longer is not an idle time (and Redis must hold it)
PREFIX = "bnsim:"


class StoreUnavailable(RuntimeError):
    """The room store cannot be reached (e.g. Redis stopped); try again later."""


def new_code() -> str:
    """A random room code of :data:`CODE_LENGTH` characters from :data:`ALPHABET`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str | None:
    """A typed room code in its canonical form (upper case, no spaces or dashes), or ``None``
    when it cannot be a room code (a different length, a character not in :data:`ALPHABET`)."""
    if not isinstance(code, str):
        return None
    text = code.strip().upper().replace(" ", "").replace("-", "")
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def _token_id(token: str) -> str:
    """A presenter token as the store keeps it: only its hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_view(view: dict[str, Any]) -> str:
    if not isinstance(view, dict):
        raise ValueError(f"a room's view must be a dict, got {type(view).__name__}.")
    return json.dumps(view, sort_keys=True, allow_nan=False)


class MemoryStore:
    """Rooms in this process's memory (the default store)."""

    def __init__(self, ttl: float = DEFAULT_TTL, clock=time.monotonic):
        if not 0 < ttl <= MAX_TTL:
            raise ValueError(f"ttl must be a number of seconds in (0, {MAX_TTL:g}], "
                             f"got {ttl!r}.")
        self.ttl, self._clock = float(ttl), clock
        self._lock = threading.Lock()
        self._rooms: dict[str, list] = {}  # code -> [version, view JSON, last move]
        self._tokens: dict[str, list] = {}  # token hash -> [code, last use]

    def _live(self, code: str) -> list | None:
        room = self._rooms.get(code)
        if room is not None and self._clock() - room[2] >= self.ttl:
            del self._rooms[code]
            return None
        return room

    def create(self) -> str:
        """A new, empty room (version 0); returns its code."""
        with self._lock:
            for _ in range(1000):
                code = new_code()
                if self._live(code) is None:
                    self._rooms[code] = [0, "{}", self._clock()]
                    return code
        raise StoreUnavailable("no free room code; try again.")

    def publish(self, code: str, view: dict[str, Any], after: int | None = None) -> int:
        """Set the room's view (creating the room if the store lost it); returns its new
        version, above the stored one and above ``after`` (the last version the presenter
        published: a room the store lost never goes back to a version followers have seen).
        A move also restarts the room's idle clock."""
        text = _check_view(view)
        with self._lock:
            room = self._live(code) or [0, "{}", 0.0]
            room[:] = [max(room[0], after or 0) + 1, text, self._clock()]
            self._rooms[code] = room
            return room[0]

    def version(self, code: str) -> int | None:
        """The room's version, ``None`` if there is no such room (or it expired)."""
        with self._lock:
            room = self._live(code)
            return None if room is None else room[0]

    def read(self, code: str) -> tuple[int, dict[str, Any]] | None:
        """``(version, view)`` of the room, ``None`` if there is no such room."""
        with self._lock:
            room = self._live(code)
            return None if room is None else (room[0], json.loads(room[1]))

    def remember(self, token: str, code: str) -> None:
        """Remember that the presenter holding ``token`` runs room ``code`` (for as long as a
        room lives), so a reloaded browser finds its room again."""
        with self._lock:
            self._tokens[_token_id(token)] = [code, self._clock()]

    def room_of(self, token: str) -> str | None:
        """The room the presenter holding ``token`` runs, ``None`` if unknown or expired."""
        with self._lock:
            entry = self._tokens.get(_token_id(token))
            if entry is None or self._clock() - entry[1] >= self.ttl:
                return None
            entry[1] = self._clock()
            return entry[0]


# One atomic publish: the version goes up by one, and above ARGV[3] (the presenter's last).
PUBLISH_LUA = """
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
local after = tonumber(ARGV[3])
if v <= after then
  v = after + 1
  redis.call('HSET', KEYS[1], 'version', v)
end
redis.call('HSET', KEYS[1], 'view', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return v
"""


class RedisStore:
    """Rooms in Redis, shared by every replica that points at the same server. Each call is
    bounded by ``timeout`` seconds; a failure raises :class:`StoreUnavailable`."""

    def __init__(self, url: str, ttl: float = DEFAULT_TTL, timeout: float = 0.5):
        if not 0 < ttl <= MAX_TTL:
            raise ValueError(f"ttl must be a number of seconds in (0, {MAX_TTL:g}], "
                             f"got {ttl!r}.")
        import redis  # only when a Redis store is asked for

        self.ttl, self.url = float(ttl), url
        self._errors = (redis.RedisError, OSError)
        try:
            self._r = redis.Redis.from_url(url, socket_timeout=timeout,
                                           socket_connect_timeout=timeout,
                                           health_check_interval=10, decode_responses=True)
        except ValueError as err:
            raise ValueError(f"BNSIM_ROOM_STORE={url!r} is not a Redis URL ({err}); "
                             "allowed: redis://host:port/db or memory.") from err

    def _ms(self) -> int:
        return max(1, int(self.ttl * 1000))

    def _call(self, fn):
        try:
            return fn()
        except self._errors as err:
            raise StoreUnavailable(f"the room store at {self.url} is unreachable "
                                   f"({type(err).__name__}).") from err

    def create(self) -> str:
        def go():
            for _ in range(1000):
                code = new_code()
                if self._r.hsetnx(PREFIX + "room:" + code, "version", 0):
                    self._r.hset(PREFIX + "room:" + code, "view", "{}")
                    self._r.pexpire(PREFIX + "room:" + code, self._ms())
                    return code
            raise StoreUnavailable("no free room code; try again.")
        return self._call(go)

    def publish(self, code: str, view: dict[str, Any], after: int | None = None) -> int:
        text = _check_view(view)
        key = PREFIX + "room:" + code
        return int(self._call(lambda: self._r.eval(PUBLISH_LUA, 1, key, text, self._ms(),
                                                    int(after or 0))))

    def version(self, code: str) -> int | None:
        raw = self._call(lambda: self._r.hget(PREFIX + "room:" + code, "version"))
        return None if raw is None else int(raw)

    def read(self, code: str) -> tuple[int, dict[str, Any]] | None:
        raw = self._call(lambda: self._r.hmget(PREFIX + "room:" + code, "version", "view"))
        if raw[0] is None or raw[1] is None:
            return None
        return int(raw[0]), json.loads(raw[1])

    def remember(self, token: str, code: str) -> None:
        self._call(lambda: self._r.set(PREFIX + "token:" + _token_id(token), code,
                                       px=self._ms()))

    def room_of(self, token: str) -> str | None:
        key = PREFIX + "token:" + _token_id(token)

        def go():
            code = self._r.get(key)
            if code is not None:
                self._r.pexpire(key, self._ms())
            return code
        return self._call(go)


_STORES: dict[tuple[str, float], MemoryStore | RedisStore] = {}
_STORES_LOCK = threading.Lock()


def ttl_from_env() -> float:
    """``BNSIM_ROOM_TTL`` (seconds a room lives without a move), default 3 hours."""
    raw = os.environ.get("BNSIM_ROOM_TTL", "")
    try:
        ttl = float(raw) if raw else DEFAULT_TTL
    except ValueError:
        raise ValueError(f"BNSIM_ROOM_TTL={raw!r} is not a number of seconds.") from None
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"BNSIM_ROOM_TTL={raw!r} is not allowed: a number of seconds above 0 "
                         f"and at most {MAX_TTL:g} (a year).")
    return ttl


def store_from_env() -> MemoryStore | RedisStore:
    """The process's room store, as ``BNSIM_ROOM_STORE`` says: unset or ``memory`` — in this
    process; ``redis://…`` — that Redis server. One store per setting and process."""
    url = os.environ.get("BNSIM_ROOM_STORE", "").strip() or "memory"
    ttl = ttl_from_env()
    with _STORES_LOCK:
        if (url, ttl) not in _STORES:
            if url == "memory":
                _STORES[url, ttl] = MemoryStore(ttl=ttl)
            elif url.startswith(("redis://", "rediss://", "unix://")):
                _STORES[url, ttl] = RedisStore(url, ttl=ttl)
            else:
                raise ValueError(f"BNSIM_ROOM_STORE={url!r} is not allowed: use memory "
                                 "(the default) or redis://host:port/db.")
        return _STORES[url, ttl]
