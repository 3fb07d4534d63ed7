"""How a server process runs Python's cyclic garbage collector.

CPython's defaults (a collection every 700 new container objects, a full one whenever the
survivors grew by a quarter) suit small scripts. A page of the largest province builds tens of
thousands of short-lived rows and dicts: with the defaults it ran ~25 young collections per
request and, every few requests, a full collection over everything alive (the whole of Django
included) that took 100–300 ms on its own: the p95 of the dashboard, the LKE results and the
API reads was mostly that pause (measured with gc.callbacks over `bench` cases).

So a server process (monev.wsgi; `manage.py bench` and `scripts/load` measure the same) moves
what it loaded at start-up out of the collector's sight (gc.freeze: modules, classes, the
URLconf are never garbage) and collects young objects less often. Reference counting still
frees almost everything at once; only cycles wait a little longer."""

import gc

# A young collection per 20,000 new container objects instead of 700, a middle one per 50 of
# them, a full one per 100 middle ones (measured against 50,000/20 and 100,000/10: fewer, larger
# collections cost as much in all and made the slowest requests slower).
THRESHOLDS = (20_000, 50, 100)


def tune_garbage_collector() -> None:
    """Load the URLconf, collect once, freeze what is alive, and raise the thresholds."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loads every view module before the freeze)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
