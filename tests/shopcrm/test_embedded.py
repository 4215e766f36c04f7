from shopcrm.dev import embedded


def test_embedded_urls_point_inside_the_checkout():
    assert embedded.database_url().startswith("postgres://shopcrm_app@/shopcrm?host=/")
    assert embedded.database_url(embedded.OWNER_ROLE).startswith("postgres://shopcrm@/shopcrm?host=/")
    assert embedded.redis_url().startswith("unix:///")


def test_celery_gets_the_socket_spelling_of_a_unix_redis_url():
    assert embedded.broker_url("unix:///x/redis.sock") == "redis+socket:///x/redis.sock"
    assert embedded.broker_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
