#!/usr/bin/env bash
# On the GPU machine (sm_90a: H100/H200), from the repository root: build the jobs from the
# committed fixtures, run every one, and pack the raw results into $OUT/results.tgz
# (scripts/gpu/README.md). Needs nvcc, python3 with numpy and ml_dtypes (torch for scaled_mm).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT" /tmp/res /tmp/jobs
export PATH=$PATH:/usr/local/cuda/bin
{ nvidia-smi --query-gpu=name,driver_version,compute_cap,clocks.max.sm --format=csv; nvcc --version | tail -2;
  python3 -c 'import numpy, torch; print("numpy", numpy.__version__, "torch", torch.__version__)'; date -u; } \
  > /tmp/res/machine.txt 2>&1
cat /tmp/res/machine.txt
python3 scripts/gpu/make_jobs.py /tmp/jobs && cp /tmp/jobs/manifest.json /tmp/res/ || exit 1
timeout 120 nvcc -O2 -gencode arch=compute_90a,code=sm_90a -o /tmp/probe scripts/gpu/probe.cu || exit 1
cuobjdump -sass /tmp/probe > /tmp/res/probe_sm_90a.sass 2>&1 || true
fails=0
for f in /tmp/jobs/*.bin; do
  n=$(basename "$f" .bin)
  timeout 60 /tmp/probe "${n%%__*}" "$f" "/tmp/res/$n.out" || { echo "FAIL $n"; fails=$((fails+1)); }
done
echo "probe failures: $fails"
timeout 180 python3 scripts/gpu/scaled_mm.py /tmp/res/scaled_mm.npz || echo "scaled_mm failed"
tar czf "$OUT/results.tgz" -C /tmp res
ls -la "$OUT"
