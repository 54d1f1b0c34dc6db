#!/usr/bin/env bash
# GPU check: the simulation and training benchmarks on a CUDA machine, from the source tree.
# Installs nothing (the machine has JAX with its CUDA plugin, optax, xarray, diffrax, scipy; no
# torchsde, which the simulation table then omits). Under 5 minutes on an H100/H200.
#   bash benchmarks/gpu_check.sh            # on the GPU machine, from the repository root
#   JAX_PLATFORMS=cpu bash benchmarks/gpu_check.sh --dry-run   # a CPU dry run of the same script
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python3}"
DRY=0; [[ "${1:-}" == "--dry-run" ]] && DRY=1
"$PY" -c "import jax; print('devices:', jax.devices()); d = jax.devices()[0]; print('card:', getattr(d, 'device_kind', d.platform))"
if [[ $DRY == 1 ]]; then  # tiny sizes: checks the script runs, measures nothing worth reporting
  timeout 240 "$PY" benchmarks/bench_simulation.py --neurons 64 --trials 32 --steps 200 --repeats 1 --no-peers
  exit 0
fi
# the issue's problem (the roofline measured on this card), then one the card can fill
timeout 150 "$PY" benchmarks/bench_simulation.py --repeats 3
timeout 60 "$PY" benchmarks/bench_simulation.py --neurons 1024 --trials 2048 --repeats 3 --no-peers
timeout 90 "$PY" benchmarks/bench_training.py
