"""cocotb testbench of ``e8m0_scale`` (OCP MX shared scale, FLOOR rule), built on
:mod:`fp8ref.cocotb`, through ``cocotb_e8m0_scale_top`` (one unit per element format).

* ``golden_vectors``: the MX scale files named in ``FP8REF_VECTORS`` streamed by
  :func:`fp8ref.cocotb.drive_vectors`: the 32 binary32 elements go onto the 1024-bit bus
  ``x`` as lanes (element 0 at the LSB), the scale is read from the unit of the file's element
  format (the unit raises no flags: not compared);
* ``live_model``: the golden generators' special blocks (zero, subnormal, NaN/Inf, outliers),
  amax-edge blocks (amax at and next to powers of two) and SplitMix64-random blocks over the
  whole binary32 range, scored for every element format by
  :meth:`fp8ref.cocotb.Scoreboard.mx_scale`.
"""

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer
from cocotb_common import finish_all, vector_paths

from fp8ref import get_format
from fp8ref.cocotb import Scoreboard, drive_vectors, pack_lanes
from fp8ref.golden import generators, load_sidecar
from fp8ref.golden.prng import SplitMix64

ELEMS = ("e4m3fn", "e5m2", "e3m2fn", "e2m3fn", "e2m1fn", "int8")


@cocotb.test()
async def golden_vectors(dut):
    boards = []
    for path in vector_paths():
        meta, _ = load_sidecar(path)
        out = os.path.join(os.environ.get("FP8REF_DUT_DIR", "."), os.path.basename(path)[:-3] + ".dut.tv")
        boards.append(await drive_vectors(path, {"x": dut.x}, {"scale": getattr(dut, f"scale_{meta['elem']}")},
                                          out=out, finish=False))
    finish_all(boards, "golden_vectors")


def _live_blocks():
    rng = SplitMix64(19)
    return np.concatenate([generators.block_specials(32), generators.amax_edge_blocks(get_format("e4m3fn"), 32, rng),
                           generators.random_blocks(256, 32, rng, spread=(-96, 126))])


@cocotb.test()
async def live_model(dut):
    blocks = _live_blocks()
    boards = {e: Scoreboard.mx_scale(e, batch=4096, name=f"live mx scale {e} floor") for e in ELEMS}
    for row in blocks:
        dut.x.value = pack_lanes(row, 32)
        await Timer(1, unit="ns")
        for e, sb in boards.items():
            sb.add(row, getattr(dut, f"scale_{e}").value)
    finish_all(list(boards.values()), "live_model")
