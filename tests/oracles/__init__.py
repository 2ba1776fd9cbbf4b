"""Independent test oracles: the shared bridges to ml_dtypes, gfloat and exact fractions rounding
(shared.py), the P3109 reference driver (p3109/), exact fractions arithmetic (arith_ref) and the
RVBNA reference (rvbna_ref)."""
