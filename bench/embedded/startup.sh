#!/usr/bin/env bash
# Start-up time of odsim, measured from outside with hyperfine (Debian package `hyperfine`):
#
#   - `odsim --version`
#   - a client subcommand that fails at once (`odsim poll --url http://127.0.0.1:9`, nothing listens there):
#     what every client command costs before it talks to an odsim
#   - `odsim serve` (embedded database, schema and demo practice) from exec to its ready banner
#     ("odsim ...: Open Dental API at ..."), then killed
#
# Usage:
#   bench/embedded/startup.sh                 # builds ./cmd/odsim and measures it
#   bench/embedded/startup.sh OLD NEW ...     # measures these binaries side by side, in one run
#   WITHOUT_ENGINE=1 bench/embedded/startup.sh [BINARIES]
#       also builds ./cmd/odsim with store/embedded replaced by a stub that links no go-mysql-server
#       (go build -overlay; such a binary cannot serve without --dsn), to show what the engine's code costs
#       the commands that do not use it: --version and the client command are measured with it too
#
# Set RUNS (default 30) and WARMUP (default 3) to change the number of runs. The figures are wall-clock
# times of whole processes; compare binaries within one run, since other work on the machine shifts them.
set -euo pipefail

# Called by hyperfine for the serve measurement: start serve, wait for the banner, kill it.
if [ "${1:-}" = "--serve-ready" ]; then
  coproc ODSIM { exec "$2" serve --listen 127.0.0.1:0 --embedded-addr 127.0.0.1:0 --workstation BENCH 2>/dev/null; }
  pid=$ODSIM_PID
  if ! read -r banner <&"${ODSIM[0]}"; then
    echo "odsim serve exited before its banner" >&2
    exit 1
  fi
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  case "$banner" in
  odsim*"Open Dental API at"*) exit 0 ;;
  *) echo "unexpected first line: $banner" >&2; exit 1 ;;
  esac
fi

command -v hyperfine >/dev/null || { echo "hyperfine not found: apt-get install hyperfine" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
  (cd "$repo" && go build -o "$tmp/odsim" ./cmd/odsim)
  bins=("$tmp/odsim")
fi
clients=("${bins[@]}")
if [ "${WITHOUT_ENGINE:-}" = 1 ]; then
  # The stub keeps store/embedded's API (what cmd/odsim and store/storetest call) and nothing else.
  cat >"$tmp/stub.go" <<'GO'
// Package embedded is a stand-in for measurements: store/embedded's API without go-mysql-server.
package embedded

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

const (
	DefaultAddr     = "127.0.0.1:3307"
	DefaultDatabase = "opendental"
	DefaultLockWait = 10 * time.Second
)

type Config struct {
	Addr, Database string
	Logger         *slog.Logger
	LockWait       time.Duration
}

type Server struct{}

func Start(context.Context, Config) (*Server, error) { return nil, errors.New("built without the embedded database") }
func (*Server) Addr() string                         { return "" }
func (*Server) DSN() string                          { return "" }
func (*Server) Close() error                         { return nil }
GO
  python3 - "$repo/store/embedded" "$tmp" <<'PY'
import glob, json, os, sys
pkg, tmp = sys.argv[1], sys.argv[2]
replace = {f: "" for f in glob.glob(os.path.join(pkg, "*.go")) if not f.endswith("_test.go")}
replace[os.path.join(pkg, "embedded.go")] = os.path.join(tmp, "stub.go")
json.dump({"Replace": replace}, open(os.path.join(tmp, "overlay.json"), "w"))
PY
  (cd "$repo" && go build -overlay "$tmp/overlay.json" -o "$tmp/odsim-without-engine" ./cmd/odsim)
  clients+=("$tmp/odsim-without-engine")
fi
runs=${RUNS:-30}
warmup=${WARMUP:-3}

echo "# odsim start-up, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for b in "${clients[@]}"; do
  echo "# $b: $(du -h "$b" | cut -f1), $("$b" --version 2>&1 | head -1)"
done

# measure runs hyperfine and prints, per command, the median and fastest wall-clock time and the mean CPU
# time (user + system; it moves less than wall-clock time when other work shares the machine).
measure() {
  local title=$1
  shift
  echo
  echo "## $title"
  hyperfine --style none --warmup "$warmup" --runs "$runs" --export-json "$tmp/run.json" "$@" >/dev/null
  python3 - "$tmp/run.json" <<'PY'
import json, sys
print(f"{'median':>9} {'fastest':>9} {'CPU':>9}  command")
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['median'] * 1000:7.1f}ms {r['min'] * 1000:7.1f}ms {(r['user'] + r['system']) * 1000:7.1f}ms  {r['command']}")
PY
}

cmds=()
for b in "${clients[@]}"; do cmds+=("$b --version"); done
measure "odsim --version" -N "${cmds[@]}"

cmds=()
for b in "${clients[@]}"; do cmds+=("$b poll --url http://127.0.0.1:9"); done
measure "client subcommand (odsim poll against a closed port)" -N -i "${cmds[@]}"

cmds=()
for b in "${bins[@]}"; do cmds+=("$here/startup.sh --serve-ready $b"); done
measure "odsim serve to its ready banner (embedded database, demo practice)" "${cmds[@]}"
