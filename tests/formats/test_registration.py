"""Every built-in format is registered by fp8ref.formats and described by FormatLike; the codecs
are registered by kind in fp8ref.codecs (importing a codec module registers nothing)."""

import importlib
import subprocess
import sys
import warnings

import pytest

import fp8ref
from fp8ref import codecs
from fp8ref.formats import FormatLike, builtin, list_formats, registry


def test_builtins_in_registration_order():
    names = list_formats()
    assert names[-5:] == ["posit8_es0", "posit8_es1", "posit8_es2", "hif8", "ue8m0"]
    assert fp8ref.get_format("posit8") is builtin.POSIT8[2] and fp8ref.get_format("e8m0fnu") is builtin.UE8M0
    assert fp8ref.get_format("hifloat8") is builtin.HIF8


def test_registered_without_importing_any_codec_module():
    """A fresh interpreter: the registry module alone plus fp8ref.formats.builtin hold every
    name, whichever codec modules are imported later."""
    code = ("import sys, fp8ref.formats as f\n"
            "names = f.list_formats()\n"
            "import fp8ref.codecs.ue8m0, fp8ref.codecs.posit, fp8ref.codecs.tapered\n"
            "assert f.list_formats() == names and 'ue8m0' in names and 'hif8' in names\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


@pytest.mark.parametrize("name", list_formats())
def test_every_registered_format_is_format_like(name):
    fmt = fp8ref.get_format(name)
    assert isinstance(fmt, FormatLike)
    assert codecs.codec_for(fmt).kind == fmt.kind
    hash(fmt)


def test_codecs_registered_by_kind():
    assert {k: c.__name__ for k, c in codecs._CODECS.items()} == {
        "ieee": "fp8ref.codecs.ieee", "ue8m0": "fp8ref.codecs.ue8m0", "tapered": "fp8ref.codecs.tapered",
        "posit": "fp8ref.codecs.posit"}


def test_reimporting_a_codec_changes_nothing():
    before = dict(registry._FORMATS), dict(registry._ALIASES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for m in ("fp8ref.codecs.ue8m0", "fp8ref.codecs.posit", "fp8ref.codecs.tapered"):
            importlib.reload(importlib.import_module(m))
    assert (dict(registry._FORMATS), dict(registry._ALIASES)) == before


@pytest.mark.parametrize("module,name", [("ue8m0", "ue8m0"), ("tapered", "hif8"), ("posit", None)])
def test_register_formats_is_deprecated(module, name):
    mod = importlib.import_module(f"fp8ref.codecs.{module}")
    with pytest.warns(DeprecationWarning, match="fp8ref.formats registers every built-in"):
        got = mod.register_formats()
    if name is None:
        assert got == {es: fp8ref.get_format(f"posit8_es{es}") for es in (0, 1, 2)}
    else:
        assert got is fp8ref.get_format(name)
