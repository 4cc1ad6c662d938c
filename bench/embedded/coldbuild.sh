#!/usr/bin/env bash
# Cold build of odsim: `go build ./cmd/odsim` with an empty build cache (a private GOCACHE, removed
# afterwards), as the first `go run ./cmd/odsim` on a fresh machine with the modules already downloaded.
# Prints wall-clock and CPU time of each build, and from the go command's action graph
# (-debug-actiongraph): where the build time goes per module, and the longest chain of dependent steps
# (the critical path, which bounds the build however many cores there are).
#
# Usage:
#   bench/embedded/coldbuild.sh                       # one cold build of the working tree
#   REPEAT=3 bench/embedded/coldbuild.sh              # three, one after the other
#   bench/embedded/coldbuild.sh -ldflags=-w           # extra go build flags
#   CGO_ENABLED=0 bench/embedded/coldbuild.sh         # the environment is passed on
#
# A cold build compiles the standard library and every dependency: minutes of CPU. On a shared machine
# compare variants in one run, alternating them, and prefer the CPU figures to the wall-clock ones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
repeat=${REPEAT:-1}
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "# cold build of ./cmd/odsim, $(go version | cut -d' ' -f3-), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# flags: ${*:-(none)}; CGO_ENABLED=${CGO_ENABLED:-(default)}"
for i in $(seq 1 "$repeat"); do
  cache="$work/cache-$i"
  mkdir -p "$cache"
  graph="$work/actiongraph-$i.json"
  /usr/bin/time -f '%e %U %S %M' -o "$work/time-$i" \
    env GOCACHE="$cache" go build -debug-actiongraph="$graph" -o "$work/odsim" "$@" ./cmd/odsim
  read -r wall user sys rss <"$work/time-$i"
  printf 'build %d: %6.1f s wall, %6.1f s CPU (user %.1f, sys %.1f), peak RSS %d MB, binary %s\n' \
    "$i" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" $((rss / 1024)) "$(du -h "$work/odsim" | cut -f1)"
  python3 - "$graph" <<'PY'
import collections, datetime, functools, json, sys
actions = json.load(open(sys.argv[1]))

def seconds(s):
    if not s or s.startswith("0001"):
        return None
    date, _, rest = s.replace("Z", "+00:00").partition(".")
    if rest:
        i = max(rest.find("+"), rest.find("-"))
        date += "." + (rest[:i] + "000000")[:6] + rest[i:]
    return datetime.datetime.fromisoformat(date).timestamp()

dur, byid = {}, {}
for a in actions:
    start, done = seconds(a.get("TimeStart")), seconds(a.get("TimeDone"))
    dur[a["ID"]] = done - start if start and done else 0.0
    byid[a["ID"]] = a

def module(pkg):
    parts = pkg.split("/")
    if "." not in parts[0]:
        return "standard library"
    return "/".join(parts[:3])

per = collections.Counter()
for a in actions:
    if a["Mode"] == "build":
        per[module(a.get("Package", ""))] += dur[a["ID"]]
    elif a["Mode"] == "link":
        per["(link)"] += dur[a["ID"]]
    elif a["Mode"].startswith("cgo"):
        per["(cgo and C compiler)"] += dur[a["ID"]]
total = sum(per.values())
print("  time of the build's steps, by module (steps overlap on several cores; shares are what counts):")
for name, d in per.most_common(12):
    print(f"    {100 * d / total:5.1f}%  {name}")

sys.setrecursionlimit(10000)

@functools.lru_cache(None)
def chain(i):
    best = (0.0, ())
    for d in byid[i].get("Deps") or []:
        c = chain(d)
        if c[0] > best[0]:
            best = c
    return (best[0] + dur[i], best[1] + (i,))

length, path = max((chain(i) for i in byid), key=lambda c: c[0])
print(f"  critical path: {length:.1f} s of {total:.1f} s of steps; its longest steps:")
for i in sorted(path, key=lambda i: -dur[i])[:6]:
    a = byid[i]
    print(f"    {dur[i]:6.1f} s  {a['Mode']} {a.get('Package', '')}")
PY
  chmod -R u+w "$cache" && rm -rf "$cache"
done
