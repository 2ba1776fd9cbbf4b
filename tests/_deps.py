"""Optional test dependencies: the skip reason says how to install each
(``pytest.importorskip("torch", reason=TORCH_REASON)``)."""

TORCH_REASON = ("torch is not installed: the torch-based tests need the torch extra, "
                "pip install -e \".[torch]\" (CPU wheel first: pip install torch==2.13.0 "
                "--index-url https://download.pytorch.org/whl/cpu)")
