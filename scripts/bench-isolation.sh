#!/bin/sh
# bench-isolation.sh: the isolation round trip (spawn, 10-article request,
# report, strict decode, reap) for a minimal Go child and a Python child, in the
# same run; prints each median and the ratio. Usage: scripts/bench-isolation.sh [N]
# (N iterations per child, default 300).
set -eu
cd "$(dirname "$0")/.."
n="${1:-300}"
out=$(go test -run '^$' -bench 'BenchmarkRoundTrip' -benchtime "${n}x" -count 1 ./orchestrator/isolation)
printf '%s\n' "$out" | grep -E '^(Benchmark|cpu:)'
printf '%s\n' "$out" | awk '
	/^BenchmarkRoundTrip\// {
		name = $1; sub(/^BenchmarkRoundTrip\//, "", name); sub(/-[0-9]+$/, "", name)
		for (i = 3; i < NF; i++) if ($(i+1) == "median-ms") med[name] = $i
	}
	END {
		if (!("go-tiny" in med) || !("python" in med)) { print "missing a median (is python3 installed?)"; exit 1 }
		printf "\nGo child median:     %.2f ms\n", med["go-tiny"]
		if ("research-analyze" in med) printf "research-analyze:    %.2f ms\n", med["research-analyze"]
		printf "Python child median: %.2f ms\n", med["python"]
		printf "ratio Python/Go:     %.1fx\n", med["python"] / med["go-tiny"]
		if ("python-nosite" in med) printf "(python3 -S: %.2f ms, %.1fx)\n", med["python-nosite"], med["python-nosite"] / med["go-tiny"]
	}'
