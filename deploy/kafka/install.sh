#!/usr/bin/env bash
# Resolve the Kafka broker jars (deploy/kafka/pom.xml) into the cache; print the lib dir.
# Idempotent: skipped when the marker for this exact pom.xml exists.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

pom=$DEPLOY_DIR/kafka/pom.xml
marker=$KAFKA_LIBS/.resolved-$(sha256sum "$pom" | cut -c1-16)

if [ ! -f "$marker" ]; then
  # Parallel `stack up`s (e.g. test runs) must not resolve into the same dir at once.
  mkdir -p "$CACHE_DIR"
  exec 9>"$CACHE_DIR/.kafka-install.lock"
  flock 9
fi
if [ ! -f "$marker" ]; then
  log "resolving Kafka $KAFKA_VERSION jars into $KAFKA_LIBS ..."
  # Resolve into a fresh dir and swap, so jars from an older pom.xml never linger.
  rm -rf "$KAFKA_LIBS.tmp"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS.tmp" >&2
  touch "$KAFKA_LIBS.tmp/${marker##*/}"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
fi
echo "$KAFKA_LIBS"
