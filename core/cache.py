"""Django's Redis cache, with one redis-py client per connection pool.

Django's ``RedisCacheClient.get_client()`` makes a new ``redis.Redis`` for every cache
operation, and redis-py builds the client's table of ~165 response callbacks anew each
time (redis-py issue #3624): about 70 % of the CPU of a ``cache.get()``. A page reads
the cache twice (the session and the current terms version). A ``redis.Redis`` only
wraps its pool and is safe to share between threads, so this keeps one per pool. The
pools, the serializer and every operation are Django's own.

``cache_config()`` gives ``CACHES["default"]`` from a ``CACHE_URL``, with this backend
in place of Django's for ``redis://`` and ``rediscache://`` URLs.
"""

from django.core.cache.backends import redis as django_redis

DJANGO_BACKEND = "django.core.cache.backends.redis.RedisCache"
BACKEND = "core.cache.RedisCache"


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient


def cache_config(config: dict) -> dict:
    """A cache configuration (django-environ's ``env.cache()``), on this Redis backend
    where it names Django's."""
    if config.get("BACKEND") == DJANGO_BACKEND:
        return {**config, "BACKEND": BACKEND}
    return config
