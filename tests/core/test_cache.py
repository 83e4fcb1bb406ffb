"""core.cache: Django's Redis cache, keeping one redis-py client per connection pool."""

import uuid

import pytest

from core.cache import BACKEND, DJANGO_BACKEND, RedisCache, cache_config
from tests.conftest import redis_url


def test_redis_urls_get_the_portals_backend_and_others_stay():
    assert cache_config({"BACKEND": DJANGO_BACKEND, "LOCATION": "redis://h:6379/1"}) == {
        "BACKEND": BACKEND,
        "LOCATION": "redis://h:6379/1",
    }
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": ""}
    assert cache_config(locmem) == locmem


def delete_own_keys(cache: RedisCache) -> None:
    """Delete the keys under this cache's KEY_PREFIX, and only those: ``cache.clear()``
    is FLUSHDB, which empties the whole Redis database whatever the prefix says."""
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def redis_cache():
    cache = RedisCache(redis_url(), {"KEY_PREFIX": f"test-core-cache-{uuid.uuid4().hex}"})
    yield cache
    delete_own_keys(cache)
    cache.close()


@pytest.mark.redis
def test_the_clean_up_deletes_only_the_tests_own_keys(redis_cache):
    neighbour = RedisCache(redis_url(), {"KEY_PREFIX": f"neighbour-{uuid.uuid4().hex}"})
    try:
        neighbour.set("session", "someone else's", 60)
        redis_cache.set("terms", "v1", 60)
        redis_cache.set("count", 1, 60)
        delete_own_keys(redis_cache)
        assert redis_cache.get_many(["terms", "count"]) == {}
        assert neighbour.get("session") == "someone else's"
    finally:
        neighbour.delete("session")
        neighbour.close()


@pytest.mark.redis
def test_one_client_serves_every_operation(redis_cache):
    first = redis_cache._cache.get_client("a")

    assert redis_cache._cache.get_client("b") is first
    assert redis_cache._cache.get_client("c", write=True) is first


@pytest.mark.redis
def test_the_cache_works_as_djangos(redis_cache):
    redis_cache.set("terms", ("v1", 3), 60)
    assert redis_cache.get("terms") == ("v1", 3)
    assert redis_cache.add("terms", "other", 60) is False
    assert redis_cache.get_many(["terms", "missing"]) == {"terms": ("v1", 3)}
    redis_cache.set("count", 1, 60)
    assert redis_cache.incr("count") == 2
    redis_cache.delete("terms")
    assert redis_cache.get("terms", "gone") == "gone"
