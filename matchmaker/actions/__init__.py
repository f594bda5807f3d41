"""Domain actions: take a session and a keyword-only actor, check permission, change state,
record history. They never commit; the caller does."""
