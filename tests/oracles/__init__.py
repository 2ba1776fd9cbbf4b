"""Independent oracles for fp8ref.arith: the P3109 reference driver (p3109/) and exact fractions arithmetic (arith_ref)."""
