#!/usr/bin/env bash
# Two Ray nodes on one machine, then `libya-qa index --engine ray --address` against them.
#
# The same commands as on two real machines (README, "Scaling out" > "Embedding on Ray"), with both
# nodes on 127.0.0.1 inside a private network and PID namespace: nothing listens beyond loopback,
# and every Ray process ends with the namespace. Root only (unshare). Run with the venv that has
# the [scale] extra first on PATH:
#   PATH=/path/to/venv/bin:$PATH bash bench/ray_two_nodes.sh [INDEX_DIR]
set -euo pipefail
if [ "${1:-}" != "--inside" ]; then
  state=$(mktemp -d /tmp/ray-XXXXXX)   # Ray's session files and auth token: short path, ours alone
  trap 'rm -rf "$state"' EXIT
  index="${1:-$state/index}"
  HOME="$state" RAY_TMPDIR="$state" unshare --net --pid --fork --mount-proc --kill-child \
    bash "$0" --inside "$index"
  exit
fi
index="$2"
ip link set lo up
export HF_HUB_OFFLINE=1 RAY_AUTH_MODE=token   # token auth: every node and the driver need the token
set -x
ray get-auth-token --generate >/dev/null     # on a real cluster: copy ~/.ray/auth_token to every node
ray start --head --node-ip-address=127.0.0.1 --port=6379 --num-cpus=1 --include-dashboard=false \
  --disable-usage-stats
ray start --address=127.0.0.1:6379 --node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats
ray status
LIBYA_QA_INDEX="$index" libya-qa index --engine ray --address 127.0.0.1:6379 --full
ray stop >/dev/null 2>&1   # inside this PID namespace it sees, and stops, only these two nodes
