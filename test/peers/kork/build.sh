#!/usr/bin/env bash
# Builds the kork peer (a Spring Boot fat jar) into
# ~/.cache/spinnaker-mtls/kork-peer-<hash of pom.xml and sources>/ and prints
# the jar's path on its last line. A jar already built from the same pom and
# sources is reused. Maven's own ~/.m2 caches kork and its dependencies: the
# build runs offline when they are all there, and online (Maven Central)
# otherwise. The build happens in a temporary copy so nothing is written into
# the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in java mvn; do
    command -v "$tool" >/dev/null || { echo "kork peer: $tool is not installed (the kork peer needs Java 17 and Maven)" >&2; exit 1; }
done

hash="$(cd "$here" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/spinnaker-mtls"
out="$cache/kork-peer-$hash"
jar="$out/kork-peer.jar"
if [[ -f "$jar" ]]; then
    echo "$jar"
    exit 0
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/kork-peer-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp -r "$here/pom.xml" "$here/src" "$work/"
mvn_package() { nice -n 19 mvn -B -q -f "$work/pom.xml" "$@" package; }
# Offline first: with ~/.m2 filled by an earlier build no network is needed.
if ! mvn_package -o >"$work/offline.log" 2>&1; then
    mvn_package >&2
fi
mkdir -p "$work/out"
cp "$work/target/kork-peer.jar" "$work/out/kork-peer.jar"
# Publish the whole folder at once so a concurrent or interrupted build never leaves half a jar.
mv -T "$work/out" "$out" 2>/dev/null || true
echo "$jar"
