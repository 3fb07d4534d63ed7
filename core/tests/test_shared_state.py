"""Several app servers: nothing one server keeps is needed by another. With REDIS_URL the cache
and the sessions are in Redis (sessions written through to the database); login attempts are
always in the database. Checked with separate processes, as separate servers would be."""

import socket
import sqlite3
import uuid

import pytest
from django.conf import settings

from core.tests.test_settings import PRODUCTION_ENV, manage

REDIS = "redis://127.0.0.1:6379/6"


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def test_without_redis_sessions_and_login_attempts_live_in_the_database():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"


def test_a_redis_url_that_is_not_redis_stops_the_process():
    result = manage("check", env={**PRODUCTION_ENV, "REDIS_URL": "memcached://127.0.0.1:11211"})

    assert result.returncode != 0
    assert "REDIS_URL='memcached://127.0.0.1:11211': use redis://" in result.stderr


@pytest.mark.skipif(not redis_answers(), reason="needs the Redis server on 127.0.0.1:6379")
def test_with_redis_a_session_made_by_one_server_is_read_by_another(tmp_path):
    prefix = f"monev-test-{uuid.uuid4().hex[:8]}"
    first = {
        **PRODUCTION_ENV,
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": prefix,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'first.sqlite3'}",
    }
    # The second server's database is empty: what it reads can only come from Redis.
    second = {**first, "DATABASE_URL": f"sqlite:///{tmp_path / 'second.sqlite3'}"}
    try:
        assert manage("migrate", "sessions", "-v0", env=first).returncode == 0
        made = manage(
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; from django.core.cache import cache;"
            "from importlib import import_module;"
            "store = import_module(settings.SESSION_ENGINE).SessionStore();"
            "store['office'] = '1702'; store.create(); cache.set('figure', 42);"
            "print(settings.SESSION_ENGINE, store.session_key)",
            env=first,
        )
        engine, key = made.stdout.split()
        read = manage(
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; from django.core.cache import cache;"
            "from importlib import import_module;"
            f"store = import_module(settings.SESSION_ENGINE).SessionStore('{key}');"
            "print(store.get('office'), cache.get('figure'))",
            env=second,
        )
    finally:
        import redis

        client = redis.Redis.from_url(REDIS)
        for stored in client.scan_iter(f"{prefix}:*"):
            client.delete(stored)

    assert engine == "django.contrib.sessions.backends.cached_db"
    assert read.stdout.split() == ["1702", "42"], read.stderr
    with sqlite3.connect(tmp_path / "first.sqlite3") as db:  # written through to the database
        assert db.execute("SELECT session_key FROM django_session").fetchall() == [(key,)]
