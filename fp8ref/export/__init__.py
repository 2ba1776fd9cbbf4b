"""Exports of fp8ref's tables for other tools: a SystemVerilog DPI-C golden model (:mod:`.dpi`)."""

from .dpi import PolicySpec, export_dpi, models, render_dpi

__all__ = ["PolicySpec", "export_dpi", "models", "render_dpi"]
