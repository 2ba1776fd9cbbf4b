"""``import fp8ref.mx`` / ``fp8ref.nvfp4`` / ``fp8ref.deepseek`` (issue 15 item 5.14)."""

import subprocess
import sys

import fp8ref


def test_block_modules_import_as_module_paths():
    # a fresh interpreter: nothing imported before, so the import system itself must find them
    code = (
        "import fp8ref.mx, fp8ref.nvfp4, fp8ref.deepseek\n"
        "import importlib, fp8ref.blocks as b\n"
        "from fp8ref.mx import encode, quantize, MXTensor, dot, matmul\n"
        "from fp8ref.nvfp4 import encode as nq\n"
        "from fp8ref.deepseek import DeepSeekTensor\n"
        "assert fp8ref.mx is b.mx and fp8ref.nvfp4 is b.nvfp4 and fp8ref.deepseek is b.deepseek\n"
        "assert importlib.import_module('fp8ref.mx') is b.mx and quantize is b.mx.quantize and encode is b.mx.encode\n"
        "assert dot is b.mx_dot.dot and matmul is b.mx_dot.matmul and MXTensor is b.mx_tensor.MXTensor\n"
        "assert nq is b.nvfp4.encode and DeepSeekTensor is b.DeepSeekTensor and MXTensor is b.MXTensor\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_same_objects_in_this_process():
    import fp8ref.deepseek
    import fp8ref.mx
    import fp8ref.nvfp4
    from fp8ref.mx import quantize

    assert fp8ref.mx is fp8ref.blocks.mx and quantize is fp8ref.blocks.mx.quantize
    assert sys.modules["fp8ref.nvfp4"] is fp8ref.blocks.nvfp4
    assert sys.modules["fp8ref.deepseek"] is fp8ref.blocks.deepseek
