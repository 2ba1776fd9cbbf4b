"""Numeric primitives shared by every codec: exact input decomposition and rounding."""
