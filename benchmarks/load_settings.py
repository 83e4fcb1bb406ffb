"""Settings of the load benchmark (``benchmarks/load.py``): production, unchanged,
plus two things only a measurement needs, so production settings carry no flag for it:
the URLconf with a bare view to compare against, and static files collected into the
benchmark's own temporary directory."""

from masternet.settings.production import *  # noqa: F403
from masternet.settings.production import env

ROOT_URLCONF = "benchmarks.load_urls"
STATIC_ROOT = env("BENCH_STATIC_ROOT")
