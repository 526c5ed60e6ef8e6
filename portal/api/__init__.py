"""The REST API (issue 13): the core's common parts (tokens, errors, pagination, idempotency,
the registry and root) and its own resources; each app registers its resources from ready()."""
