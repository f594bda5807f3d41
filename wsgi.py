"""The production entry point (gunicorn wsgi:app)."""

import gc

from matchmaker import create_app
from matchmaker.matching import warm

app = create_app()
warm(app)  # the engine loaded and caught up before the first request (once, in the master, with --preload)

# Fewer, larger young-generation collections: a page allocates tens of thousands of short-lived
# objects (ORM rows, template output), and at the default threshold (700) the collector ran about
# every third of a request, 1-3 ms of CPU per request on the demo data, 0.3-0.5 ms with this one
# (bench/load/profile.py). Whatever the app built at start-up is long-lived: frozen, it is never
# traversed again (and pages shared with the master after a fork stay shared).
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 50, 100)
