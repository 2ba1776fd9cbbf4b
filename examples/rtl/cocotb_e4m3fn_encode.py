"""cocotb testbench of ``e4m3fn_encode`` (binary32 -> E4M3FN, RNE, ``sat`` pin, five flags),
built on :mod:`fp8ref.cocotb`.

* ``golden_vectors``: every file named in ``FP8REF_VECTORS`` (``os.pathsep``-separated:
  binary32 or bfloat16 -> E4M3FN ``.tv`` files) streamed into the unit by
  :func:`fp8ref.cocotb.drive_vectors` (sidecar hash checked; the file's expected columns
  re-derived from ``fp8ref.encode`` first); the ``sat`` pin follows the sidecar's policy; a
  bfloat16 source drives ``{a, 16'h0}``.
* ``live_model``: fp8ref's boundary cases for E4M3FN (every value, midpoint and neighbour, the
  overflow threshold), the tininess generator's points and SplitMix64-random binary32 patterns,
  scored by :meth:`fp8ref.cocotb.Scoreboard.convert` under each overflow policy.

Each scoreboard's summary goes to the log and, when ``FP8REF_SB_REPORT`` names a file, as one
JSON line to it (``tests/rtl`` counts what every mutant fails). A test fails when any of its
scoreboards saw a mismatch. Run by ``run_cocotb`` in ``run_rtl.py``.
"""

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer
from cocotb_common import finish_all, vector_paths

import fp8ref
from fp8ref.cocotb import Scoreboard, drive_vectors
from fp8ref.golden import generators, load_sidecar
from fp8ref.golden.fields import FLOAT_TYPES
from fp8ref.golden.prng import SplitMix64
from fp8ref.testing import boundary_cases


def _sat(policy) -> int:
    return 1 if policy.overflow == "sat_finite" else 0


@cocotb.test()
async def golden_vectors(dut):
    boards = []
    for path in vector_paths():
        meta, _ = load_sidecar(path)
        dut.sat.value = _sat(fp8ref.Policy(**meta["policy"]))
        to_bus = (lambda v: v << 16) if meta["src"] == "bfloat16" else None
        out = os.path.join(os.environ.get("FP8REF_DUT_DIR", "."), os.path.basename(path)[:-3] + ".dut.tv")
        boards.append(await drive_vectors(path, {"a": (dut.a, to_bus)}, {"z": dut.z}, dut.flags, out=out,
                                          finish=False, batch=4096))
    finish_all(boards, "golden_vectors")


def _live_inputs():
    fmt = fp8ref.get_format("e4m3fn")
    x, _ = boundary_cases(fmt, np.float32)
    rand = SplitMix64(19).bits(2048, 32)
    bits = np.concatenate([x.view(np.uint32).astype(np.uint64), generators.tininess(FLOAT_TYPES["float32"], fmt),
                           rand])
    return generators.dedup(bits)


@cocotb.test()
async def live_model(dut):
    bits = _live_inputs()
    boards = []
    for overflow in ("sat_finite", "ovf_inf"):
        sb = Scoreboard.convert("float32", "e4m3fn", overflow=overflow, batch=4096,
                                name=f"live float32 -> e4m3fn {overflow}")
        dut.sat.value = _sat(sb.policy)
        for a in bits:
            dut.a.value = int(a)
            await Timer(1, unit="ns")
            sb.add(int(a), dut.z.value, dut.flags.value)
        boards.append(sb)
    finish_all(boards, "live_model")
