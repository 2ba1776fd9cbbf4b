"""Golden vectors: TestFloat-style files with flags for every format, policy and block/GEMM op.

* :mod:`.prng`       SplitMix64 and per-generator sub-seeds (bytes never depend on numpy);
* :mod:`.generators` case generators (exhaustive, boundary-directed, TestFloat-style, SR bits);
* :mod:`.suites`     the suite registry (what files exist, default vs full tier); the suites
  themselves: :mod:`.convert_suites`, :mod:`.stochastic_suite`, :mod:`.decode_suite`,
  :mod:`.mul_suite`, :mod:`.kind_suites`, :mod:`.block_suites`, :mod:`.gemm_suite`,
  :mod:`.arith_suites`;
* :mod:`.writers`    ``tv`` / ``memh`` / JSON sidecar / ``.npz`` / manifest writers, atomic;
* :mod:`.sets`       ``generate``: a whole set, written atomically;
* :mod:`.verify`     ``verify`` (recompute), ``diff``, ``check`` (DUT output).

Command line: ``fp8ref golden list|generate|verify|diff|check`` (docs/golden-vectors.md).
"""

# the suite families register themselves on import, in this order (the order of a set's files)
from . import convert_suites, stochastic_suite, decode_suite, mul_suite, kind_suites  # noqa: F401
from . import block_suites, gemm_suite, arith_suites  # noqa: F401
from .prng import SplitMix64, stream, subseed
from .sets import DEFAULT_OUTPUTS, OUTPUTS, Selection, generate, render, select, show_progress
from .suites import DEFAULT_COUNT, DEFAULT_SEED, SUITES, FileSpec, Suite, get_suite, list_suites, register_suite
from .verify import Report, check, diff, load_sidecar, read_vectors, verify

__all__ = [
    "SplitMix64", "stream", "subseed",
    "Selection", "generate", "render", "select", "show_progress", "OUTPUTS", "DEFAULT_OUTPUTS",
    "SUITES", "Suite", "FileSpec", "get_suite", "list_suites", "register_suite", "DEFAULT_SEED", "DEFAULT_COUNT",
    "Report", "verify", "diff", "check", "load_sidecar", "read_vectors",
]
