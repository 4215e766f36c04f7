"""Local development: the supervisor of `make run` / `make test` and the embedded PostgreSQL and Redis."""
