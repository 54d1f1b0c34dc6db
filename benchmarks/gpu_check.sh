#!/usr/bin/env bash
# GPU check: the simulation and training benchmarks on a CUDA machine, from the source tree, and
# the scale cases of issue #20 (N = 16384 fit and simulation with low-rank and full J, a d = 10
# fit, a vmapped sweep of 1,000 small fits), each against the card's matmul roofline measured in
# the same run, float32 and TF32 set explicitly. Installs nothing (the machine has JAX with its
# CUDA plugin, optax, xarray, diffrax, scipy; no torchsde, which the simulation table then omits).
# Each case has its own timeout (together under 300 s) and a case that fails or times out is
# reported without stopping the others.
#   bash benchmarks/gpu_check.sh            # on the GPU machine, from the repository root
#   JAX_PLATFORMS=cpu bash benchmarks/gpu_check.sh --dry-run   # a CPU dry run of the same script
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python3}"
DRY=0; [[ "${1:-}" == "--dry-run" ]] && DRY=1
FAILED=0
run() {  # run SECONDS CMD...: one case; a failure or a timeout is printed, the script goes on
  local limit=$1; shift
  echo; echo "### $* (timeout ${limit} s)"
  timeout "$limit" "$@"; local rc=$?
  if [[ $rc -ne 0 ]]; then echo "!!! case failed with rc $rc$([[ $rc -eq 124 ]] && echo ' (timed out)'): $*"; FAILED=1; fi
}
"$PY" -c "import jax; print('devices:', jax.devices()); d = jax.devices()[0]; print('card:', getattr(d, 'device_kind', d.platform))"
if [[ $DRY == 1 ]]; then  # tiny sizes: checks the script runs, measures nothing worth reporting
  run 120 "$PY" benchmarks/bench_simulation.py --neurons 64 --trials 32 --steps 200 --repeats 1 --no-peers
  run 120 "$PY" benchmarks/gpu_scale.py --dry-run
  # (latent_dim_table.py --gpu and bench_sweep.py --gpu have their own CPU runs; not repeated here)
  exit $FAILED
fi
# the issue's problem (the roofline measured on this card), then one the card can fill
run 75 "$PY" benchmarks/bench_simulation.py --repeats 3
run 35 "$PY" benchmarks/bench_simulation.py --neurons 1024 --trials 2048 --repeats 3 --no-peers
run 40 "$PY" benchmarks/bench_training.py
# issue #20: N = 16384 fit (float64 Gram and Cholesky on the device) and simulation (low rank, full J)
run 90 "$PY" benchmarks/gpu_scale.py --neurons 16384
# a d = 10 fit, and a vmapped sweep of 1,000 small fits (written with their own scripts)
[[ -f benchmarks/latent_dim_table.py ]] && run 30 "$PY" benchmarks/latent_dim_table.py --gpu
[[ -f benchmarks/bench_sweep.py ]] && run 25 "$PY" benchmarks/bench_sweep.py --gpu
exit $FAILED
