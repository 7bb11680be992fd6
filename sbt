#!/usr/bin/env bash
# A small sbt launcher: no sbt is preinstalled on our machines and only Maven Central is reachable.
# It fetches the pinned sbt launcher jar from Maven Central (or the Maven mirror configured in
# ~/.m2/settings.xml), verifies its checksum, caches it, and runs sbt resolving ONLY from that
# repository, so that no resolver waits on an unreachable host.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# sbt loads the build in the working directory (e.g. samples/grpc-quickstart): fetch the launcher for that
# build's sbt version, or for this repository's where the working directory has no project/build.properties.
props=$PWD/project/build.properties
[[ -f "$props" ]] || props=$root/project/build.properties
sbt_version=$(sed -n 's/^sbt\.version *= *//p' "$props")
cache=${H2NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/h2native}
mkdir -p "$cache"

# The repository: MAVEN_REPO_URL if set, else a <mirror> of central (or *) in ~/.m2/settings.xml,
# else Maven Central itself.
repo=${MAVEN_REPO_URL:-}
if [[ -z "$repo" && -f "$HOME/.m2/settings.xml" ]]; then
  repo=$(python3 - "$HOME/.m2/settings.xml" <<'PY' || true
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = {"m": root.tag[1:].split("}")[0]} if root.tag.startswith("{") else {}
q = (lambda p: "m:" + p) if ns else (lambda p: p)
for m in root.iter(("{%s}" % ns["m"] if ns else "") + "mirror"):
    of = m.find(q("mirrorOf"), ns); url = m.find(q("url"), ns)
    if of is not None and url is not None and any(x.strip() in ("*", "central", "external:*") for x in of.text.split(",")):
        print(url.text.strip().rstrip("/")); break
PY
)
fi
repo=${repo:-https://repo1.maven.org/maven2}

jar="$cache/sbt-launch-$sbt_version.jar"
if [[ ! -s "$jar" ]]; then
  url="$repo/org/scala-sbt/sbt-launch/$sbt_version/sbt-launch-$sbt_version.jar"
  echo "[sbt] fetching $url" >&2
  tmp=$(mktemp "$cache/sbt-launch.XXXXXX")
  curl -fsSL --retry 3 -o "$tmp" "$url"
  want=$(curl -fsSL --retry 3 "$url.sha1" | cut -c1-40)
  have=$(sha1sum "$tmp" | cut -c1-40)
  if [[ "$want" != "$have" ]]; then
    rm -f "$tmp"; echo "[sbt] checksum mismatch for $url (want $want, have $have)" >&2; exit 1
  fi
  mv "$tmp" "$jar"
fi

repos="$cache/repositories"
printf '[repositories]\n  local\n  maven-central: %s\n' "$repo" > "$repos.tmp" && mv "$repos.tmp" "$repos"

opts=(-Xms512m -Xmx3g -Xss4m -XX:+UseG1GC
  -Dsbt.repository.config="$repos" -Dsbt.override.build.repos=true
  -Dsbt.boot.directory="$cache/boot" -Dfile.encoding=UTF-8)
if [[ -n "${CI:-}" || ! -t 0 ]]; then
  # Batch mode: no supershell, no colours, no server, never wait for stdin.
  opts+=(-Dsbt.supershell=false -Dsbt.log.noformat=true -Dsbt.ci=true -Dsbt.server.forcestart=false)
  [[ $# -gt 0 ]] || set -- test
  exec java "${opts[@]}" ${SBT_OPTS:-} -jar "$jar" "$@" < /dev/null
fi
exec java "${opts[@]}" ${SBT_OPTS:-} -jar "$jar" "$@"
