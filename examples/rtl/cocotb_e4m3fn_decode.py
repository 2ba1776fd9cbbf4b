"""cocotb testbench of ``e4m3fn_decode`` (E4M3FN -> binary32), built on :mod:`fp8ref.cocotb`.

* ``golden_vectors``: the decode files named in ``FP8REF_VECTORS`` streamed into the unit by
  :func:`fp8ref.cocotb.drive_vectors` (the unit has no flags output: flags are not compared);
* ``live_model``: every code, scored by :meth:`fp8ref.cocotb.Scoreboard.decode` (NaN bit for
  bit: the unit delivers ``sign | 7FC00000``, as the decode vectors do).
"""

import os

import cocotb
from cocotb.triggers import Timer
from cocotb_common import finish_all, vector_paths

from fp8ref.cocotb import Scoreboard, drive_vectors


@cocotb.test()
async def golden_vectors(dut):
    boards = []
    for path in vector_paths():
        out = os.path.join(os.environ.get("FP8REF_DUT_DIR", "."), os.path.basename(path)[:-3] + ".dut.tv")
        boards.append(await drive_vectors(path, {"a": dut.a}, {"z": dut.z}, out=out, finish=False))
    finish_all(boards, "golden_vectors")


@cocotb.test()
async def live_model(dut):
    sb = Scoreboard.decode("e4m3fn", name="live e4m3fn -> float32")
    for code in range(256):
        dut.a.value = code
        await Timer(1, unit="ns")
        sb.add(code, dut.z.value)
    finish_all([sb], "live_model")
