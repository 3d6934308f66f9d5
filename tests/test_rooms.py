"""The room store (``bnsim/ui/rooms.py``): the same contract from both backends.

Every test runs against :class:`rooms.MemoryStore` (with a fake clock: expiry without waiting)
and :class:`rooms.RedisStore` on a real ``redis-server`` (``tests/redis_helpers.py``: one per
module, flushed before each test; expiry with a TTL of a fraction of a second). Also: the
code's alphabet, ``normalise``, the environment settings (``store_from_env``) and a Redis
that stops and comes back (``StoreUnavailable``, never a client library's error).

Needs Debian's ``redis-server`` for the Redis half: skipped loudly without it, a failure under
``CI=true``.
"""

from __future__ import annotations

import json
import math
import time

import pytest

from bnsim.ui import rooms
from tests.redis_helpers import RedisServer, require_redis

VIEW = {"page": "pages/3_Running_statistics.py", "tab": "Trajectory",
        "values": {"ema_beta": 0.9, "steps": 200, "bn": ["layer 1", "layer 2"]},
        "preset": None}


@pytest.fixture(scope="module")
def redis_server():
    exe = require_redis()
    with RedisServer(exe=exe) as server:
        yield server


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """Makes stores of one kind and moves their time on (memory: the fake clock; Redis:
    real time, so its TTLs are short)."""

    def __init__(self, kind: str, server: RedisServer | None = None):
        self.kind, self.server, self.clock = kind, server, FakeClock()

    def make(self, ttl: float = 60.0):
        if self.kind == "memory":
            return rooms.MemoryStore(ttl=ttl, clock=self.clock)
        return rooms.RedisStore(self.server.url, ttl=ttl)

    def advance(self, seconds: float) -> None:
        if self.kind == "memory":
            self.clock.now += seconds
        else:
            time.sleep(seconds)

    def lose(self, store) -> None:
        """The store forgets every room (Redis: restarted empty; memory: everything expired,
        the only way a process's own memory loses a room)."""
        if self.kind == "redis":
            self.server.client().flushall()
        else:
            self.advance(store.ttl + 1)


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    if request.param == "memory":
        return Backend("memory")
    server = request.getfixturevalue("redis_server")
    server.client().flushall()
    return Backend("redis", server)


# ------------------------------------------------------------------ codes
def test_create_gives_a_code_from_the_alphabet(backend):
    store = backend.make()
    codes = {store.create() for _ in range(20)}
    assert len(codes) == 20  # each create is a new room
    for code in codes:
        assert len(code) == rooms.CODE_LENGTH == 4
        assert set(code) <= set(rooms.ALPHABET)
        assert store.version(code) == 0
        assert store.read(code) == (0, {})


def test_alphabet_has_no_confusable_characters():
    assert not set(rooms.ALPHABET) & set("0O1IL2Z5S6G8B")
    assert len(set(rooms.ALPHABET)) == len(rooms.ALPHABET)


@pytest.mark.parametrize("typed, code", [(" acde ", "ACDE"), ("AC-DE", "ACDE"),
                                         ("ac de", "ACDE"), ("ACDE", "ACDE"),
                                         ("x7k3", "X7K3")])
def test_normalise_accepts_what_a_student_types(typed, code):
    assert rooms.normalise(typed) == code


@pytest.mark.parametrize("typed", ["", "ACD", "ACDEF", "AC0E", "ACOE", "ACIE", "AC1E",
                                   "ACDÉ", "AC_E", "AC.E", "  ", "💥💥💥💥", None, 1234,
                                   ["ACDE"]])
def test_normalise_rejects_what_cannot_be_a_code(typed):
    assert rooms.normalise(typed) is None


# ------------------------------------------------------------------ versions and views
def test_publish_bumps_the_version_and_read_returns_the_exact_view(backend):
    store = backend.make()
    code = store.create()
    views = [VIEW, {**VIEW, "tab": "Distribution"}, {**VIEW, "values": {"ema_beta": 0.999}}]
    for n, view in enumerate(views, 1):
        assert store.publish(code, view) == n
        assert store.version(code) == n
        assert store.read(code) == (n, view)
    got = store.read(code)[1]
    assert json.dumps(got, sort_keys=True) == json.dumps(views[-1], sort_keys=True)


def test_rooms_are_independent(backend):
    store = backend.make()
    a, b = store.create(), store.create()
    store.publish(a, VIEW)
    store.publish(a, VIEW)
    assert store.version(a) == 2 and store.version(b) == 0
    assert store.read(b) == (0, {})


@pytest.mark.parametrize("code", ["ACDE", "", "bnsim:room:ACDE", "*", "ACDE\n"])
def test_unknown_code_has_no_version_and_no_view(backend, code):
    store = backend.make()
    store.create()
    assert store.version(code) is None
    assert store.read(code) is None


@pytest.mark.parametrize("bad", [{"x": math.nan}, {"values": {"ema_beta": math.inf}},
                                 {"values": [-math.inf]}, ["not", "a", "dict"], "view", None])
def test_views_that_are_not_json_are_rejected_and_change_nothing(backend, bad):
    store = backend.make()
    code = store.create()
    store.publish(code, VIEW)
    with pytest.raises(ValueError):
        store.publish(code, bad)
    assert store.read(code) == (1, VIEW)


def test_publish_to_a_room_the_store_lost_recreates_it(backend):
    store = backend.make(ttl=60)
    code = store.create()
    store.publish(code, VIEW)
    store.publish(code, VIEW)
    backend.lose(store)
    assert store.version(code) is None and store.read(code) is None
    moved = {**VIEW, "tab": "Distribution"}
    assert store.publish(code, moved) == 1
    assert store.read(code) == (1, moved)


# ------------------------------------------------------------------ expiry
def ttl_of(backend) -> float:
    return 60.0 if backend.kind == "memory" else 0.3


def test_a_room_expires_after_ttl_without_a_move(backend):
    ttl = ttl_of(backend)
    store = backend.make(ttl=ttl)
    idle, moved = store.create(), store.create()
    store.publish(moved, VIEW)
    backend.advance(ttl * 0.4)
    assert store.version(idle) == 0 and store.version(moved) == 1
    backend.advance(ttl * 1.2)
    for code in (idle, moved):
        assert store.version(code) is None
        assert store.read(code) is None


def test_publish_restarts_the_idle_clock(backend):
    ttl = 60.0 if backend.kind == "memory" else 1.0
    store = backend.make(ttl=ttl)
    code = store.create()
    backend.advance(ttl * 0.6)
    assert store.publish(code, VIEW) == 1
    backend.advance(ttl * 0.6)  # 1.2 ttl after create, 0.6 after the move: alive
    assert store.read(code) == (1, VIEW)
    backend.advance(ttl * 0.6)  # 1.2 ttl after the move
    assert store.version(code) is None


def test_reading_does_not_restart_the_idle_clock(backend):
    ttl = ttl_of(backend)
    store = backend.make(ttl=ttl)
    code = store.create()
    store.publish(code, VIEW)
    for _ in range(3):
        backend.advance(ttl * 0.4)
        store.version(code)
        store.read(code)  # followers polling do not keep an abandoned room alive
    assert store.version(code) is None


def test_redis_room_keys_carry_a_ttl(redis_server):
    redis_server.client().flushall()
    store = rooms.RedisStore(redis_server.url, ttl=120)
    code = store.create()
    store.publish(code, VIEW)
    store.remember("a token", code)
    raw = redis_server.client()
    keys = raw.keys("*")
    assert keys and all(k.startswith(rooms.PREFIX) for k in keys)
    for key in keys:
        assert 100_000 < raw.pttl(key) <= 120_000, key


# ------------------------------------------------------------------ presenter tokens
def test_remember_and_room_of(backend):
    store = backend.make()
    code = store.create()
    token, other = "presenter-token-abc", "someone-else"
    assert store.room_of(token) is None
    store.remember(token, code)
    assert store.room_of(token) == code
    assert store.room_of(other) is None
    assert store.room_of("") is None
    later = store.create()
    store.remember(token, later)  # a new room for the same browser
    assert store.room_of(token) == later


def test_a_token_expires_and_room_of_keeps_it_alive(backend):
    ttl = 60.0 if backend.kind == "memory" else 1.0
    store = backend.make(ttl=ttl)
    code = store.create()
    used, unused = "token-in-use", "token-left"
    store.remember(used, code)
    store.remember(unused, code)
    for _ in range(2):
        backend.advance(ttl * 0.6)
        assert store.room_of(used) == code  # each use restarts its clock
    assert store.room_of(unused) is None  # 1.2 ttl without a use


def test_redis_keeps_only_a_hash_of_the_token(redis_server):
    redis_server.client().flushall()
    store = rooms.RedisStore(redis_server.url)
    code = store.create()
    token = "Sup3r-Secret_tokenValue-42"
    store.remember(token, code)
    raw = redis_server.client()
    dump = []
    for key in raw.keys("*"):
        dump.append(key)
        kind = raw.type(key)
        if kind == "string":
            dump.append(raw.get(key))
        elif kind == "hash":
            dump.extend(str(x) for kv in raw.hgetall(key).items() for x in kv)
        else:
            raise AssertionError(f"unexpected {kind} key {key}")
    text = "\n".join(dump)
    assert code in text  # the room is there...
    assert token not in text and token.lower() not in text.lower()  # ...the token is not
    assert store.room_of(token) == code


def test_memory_keeps_only_a_hash_of_the_token():
    store = rooms.MemoryStore()
    token = "Sup3r-Secret_tokenValue-42"
    store.remember(token, store.create())
    assert token not in repr(vars(store))


# ------------------------------------------------------------------ settings
@pytest.fixture
def env(monkeypatch):
    """A clean environment for ``store_from_env`` and an empty cache of stores."""
    monkeypatch.setattr(rooms, "_STORES", {})
    monkeypatch.delenv("BNSIM_ROOM_STORE", raising=False)
    monkeypatch.delenv("BNSIM_ROOM_TTL", raising=False)
    return monkeypatch


def test_store_from_env_defaults_to_memory(env):
    store = rooms.store_from_env()
    assert isinstance(store, rooms.MemoryStore) and store.ttl == rooms.DEFAULT_TTL
    assert rooms.store_from_env() is store  # one store per setting and process
    env.setenv("BNSIM_ROOM_STORE", " memory ")
    env.setenv("BNSIM_ROOM_TTL", "90")
    other = rooms.store_from_env()
    assert isinstance(other, rooms.MemoryStore) and other.ttl == 90 and other is not store


def test_store_from_env_redis(env, redis_server):
    env.setenv("BNSIM_ROOM_STORE", redis_server.url)
    env.setenv("BNSIM_ROOM_TTL", "2.5")
    store = rooms.store_from_env()
    assert isinstance(store, rooms.RedisStore) and store.ttl == 2.5
    code = store.create()
    assert store.publish(code, VIEW) == 1
    assert 0 < redis_server.client().pttl(rooms.PREFIX + "room:" + code) <= 2500


@pytest.mark.parametrize("url", ["postgres://127.0.0.1/0", "redis", "Memory:", "http://x",
                                 "127.0.0.1:6379", "redis://127.0.0.1:notaport/0"])
def test_store_from_env_rejects_a_bad_store(env, url):
    env.setenv("BNSIM_ROOM_STORE", url)
    with pytest.raises(ValueError, match="BNSIM_ROOM_STORE"):
        rooms.store_from_env()


@pytest.mark.parametrize("ttl", ["abc", "0", "-5", "nan", "-inf", "1h", "3 hours"])
def test_store_from_env_rejects_a_bad_ttl(env, ttl):
    env.setenv("BNSIM_ROOM_TTL", ttl)
    with pytest.raises(ValueError, match="BNSIM_ROOM_TTL"):
        rooms.store_from_env()


@pytest.mark.parametrize("ttl", [0, -1.0, math.nan])
def test_stores_reject_a_bad_ttl(ttl, redis_server):
    with pytest.raises(ValueError):
        rooms.MemoryStore(ttl=ttl)
    with pytest.raises(ValueError):
        rooms.RedisStore(redis_server.url, ttl=ttl)


@pytest.mark.parametrize("ttl", ["inf", "1e300"])
def test_a_ttl_redis_cannot_keep_is_refused_up_front_or_works(env, redis_server, ttl):
    """A TTL Redis cannot set as a key's expiry must be refused when the store is made (a
    ValueError naming the setting), not break every room later."""
    env.setenv("BNSIM_ROOM_STORE", redis_server.url)
    env.setenv("BNSIM_ROOM_TTL", ttl)
    try:
        store = rooms.store_from_env()
    except ValueError as err:
        assert "BNSIM_ROOM_TTL" in str(err)
        return
    code = store.create()
    assert store.publish(code, VIEW) == 1
    assert store.read(code) == (1, VIEW)


# ------------------------------------------------------------------ a Redis that goes away
def test_redis_stopped_raises_store_unavailable_quickly_and_recovers():
    exe = require_redis()
    with RedisServer(exe=exe) as server:
        store = rooms.RedisStore(server.url, ttl=60)
        code = store.create()
        store.publish(code, VIEW)
        token = "tok"
        store.remember(token, code)
        server.stop()
        calls = {"create": store.create, "publish": lambda: store.publish(code, VIEW),
                 "version": lambda: store.version(code), "read": lambda: store.read(code),
                 "remember": lambda: store.remember(token, code),
                 "room_of": lambda: store.room_of(token)}
        for name, call in calls.items():
            t0 = time.perf_counter()
            with pytest.raises(rooms.StoreUnavailable) as caught:
                call()
            assert time.perf_counter() - t0 < 1.5, name
            assert type(caught.value) is rooms.StoreUnavailable, name
            assert server.url in str(caught.value)
        server.start()  # same port, empty
        assert store.version(code) is None  # the room was lost with the server...
        assert store.publish(code, VIEW) == 1  # ...and the presenter's next move recreates it
        assert store.read(code) == (1, VIEW)
        assert store.room_of(token) is None
        store.remember(token, code)
        assert store.room_of(token) == code


def test_redis_never_started_is_store_unavailable():
    exe = require_redis()
    server = RedisServer(exe=exe)  # a free port nobody listens on
    try:
        store = rooms.RedisStore(server.url)
        t0 = time.perf_counter()
        with pytest.raises(rooms.StoreUnavailable):
            store.create()
        assert time.perf_counter() - t0 < 1.5
    finally:
        server.close()
