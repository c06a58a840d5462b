"""Make a long-lived worker give memory back: fixed glibc malloc thresholds.

glibc serves large allocations from mmap, returned at once when freed, and small ones from its
heap, trimmed when enough is free at the top. Both thresholds start at 128 KiB but rise after
each large block is freed, up to 32 MiB for mmap and 64 MiB for trimming: after building the
search index or answering a page of a thousand changes, a worker keeps tens of megabytes it no
longer uses, for the rest of its life. Setting the thresholds explicitly stops them rising
(glibc's documented behaviour, as with the MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_
environment variables). On other C libraries this does nothing.
"""

import ctypes
import os

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD = 128 * 1024


def fix_malloc_thresholds() -> bool:
    """Fix both thresholds at 128 KiB unless the environment already set them; True if done."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (AttributeError, OSError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, THRESHOLD))
