# shellcheck shell=bash
# Shared helpers for the deploy/ scripts. Source it; do not run it.
# shellcheck disable=SC2034  # the variables below are used by the sourcing scripts

DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${COUPON_POOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coupon-pools}
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$DEPLOY_DIR/kafka/pom.xml")
KAFKA_LIBS=$CACHE_DIR/kafka-$KAFKA_VERSION/libs
FERRETDB_VERSION=v1.24.2
FERRETDB_BIN=$CACHE_DIR/bin/ferretdb

# shellcheck source-path=SCRIPTDIR source=postgres.sh
. "$DEPLOY_DIR/lib/postgres.sh"

die() { echo "error: $*" >&2; exit 1; }
log() { echo "$*" >&2; }

# free_ports N: print N distinct free TCP ports on 127.0.0.1 (all bound at once).
free_ports() {
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# port_free PORT: succeed if 127.0.0.1:PORT can be bound right now.
port_free() {
  python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# port_open PORT [HOST]: succeed if something accepts TCP connections on HOST (127.0.0.1):PORT.
port_open() {
  python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[2], int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1" "${2:-127.0.0.1}"
}
