"""cocotb variant: drive ``e4m3fn_encode`` from a golden-vector ``.tv`` file and score it live.

Run inside the simulator by cocotb (see ``run_cocotb`` in ``run_rtl.py``). Environment:
``FP8REF_VECTORS`` (a binary32 -> E4M3FN ``.tv`` file, its ``.json`` sidecar beside it),
``FP8REF_DUT_OUT`` (where to write the DUT's ``a z flags`` lines for ``fp8ref golden check``).
The test fails on the first disagreement with the vectors, and it also checks that the vectors
equal ``fp8ref.encode`` under the sidecar's policy: fp8ref used as a live scoreboard, the
Python analogue of a DPI reference model.
"""

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

import fp8ref


@cocotb.test()
async def e4m3fn_encode_matches_golden_vectors(dut):
    tv = os.environ["FP8REF_VECTORS"]
    with open(tv[: -len(".tv")] + ".json") as f:
        side = json.load(f)
    assert [(f["name"], f["type"]) for f in side["fields"]] == [("a", "float32"), ("z", "e4m3fn"), ("flags", "flags")]
    with open(tv) as f:
        a, z_exp, flags_exp = np.array([[int(t, 16) for t in line.split()] for line in f], dtype=np.uint32).T

    # the live model agrees with the file (same policy, recomputed now)
    z_live, flags_live = fp8ref.encode(a.view(np.float32), side["dst"], policy=fp8ref.Policy(**side["policy"]),
                                       return_flags=True)
    assert np.array_equal(z_live, z_exp) and np.array_equal(flags_live, flags_exp)

    dut.sat.value = 1 if side["policy"]["overflow"] == "sat_finite" else 0
    lines, bad = [], []
    for i in range(a.size):
        dut.a.value = int(a[i])
        await Timer(1, unit="ns")
        z, fl = int(dut.z.value), int(dut.flags.value)
        lines.append(f"{int(a[i]):08X} {z:02X} {fl:02X}\n")
        if z != z_exp[i] or fl != flags_exp[i]:
            bad.append(i)
    with open(os.environ["FP8REF_DUT_OUT"], "w") as f:
        f.writelines(lines)
    if bad:
        i = bad[0]
        raise AssertionError(f"{len(bad)} of {a.size} vectors differ; first: a={int(a[i]):08X} "
                             f"expected {int(z_exp[i]):02X} {int(flags_exp[i]):02X}, got {lines[i].split()[1:]}")
    dut._log.info("%d vectors match", a.size)
