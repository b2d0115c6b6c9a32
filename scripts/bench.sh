#!/bin/sh
# bench.sh: every performance target of the project, measured with Go
# benchmarks, printed as ratios against its target. Usage: scripts/bench.sh
# Takes about two minutes; run it on an otherwise idle machine for stable figures.
set -eu
cd "$(dirname "$0")/.."

metric() { # metric NAME OUTPUT: the value printed before NAME on a benchmark line
	printf '%s\n' "$2" | awk -v m="$1" '/^Benchmark/ { for (i = 2; i <= NF; i++) if ($i == m) v = $(i-1) } END { print v }'
}

echo "== fan-out: 40 loopback feeds, each 400 ms away (target: stage <= 1.2x the slowest source)"
out=$(go test -run '^$' -bench 'BenchmarkFanOut40' -benchtime 3x ./orchestrator)
echo "   stage / slowest source: $(metric x_slowest_source "$out")x   speed-up over sequential: $(metric x_speedup_vs_sequential "$out")x"

echo "== bandwidth: 20 feeds, second run with the conditional-GET cache (target: < 5% of the first run's bytes)"
out=$(go test -run '^$' -bench 'BandwidthSecondRun' -benchtime 3x ./agents/fetch)
printf '%s\n' "$out" | grep -E '^Benchmark' | sed 's/^/   /'

echo "== isolation round trip, 10 articles (target: median < 5 ms and >= 10x below a Python child)"
scripts/bench-isolation.sh 200 | sed -n '/^Go child/,$p' | sed 's/^/   /'

echo "== analysis: 10,000 articles (~50 MB) through the pipe (target: <= 2 s wall, <= 1 GB peak; near-linear from 1k)"
scripts/bench-analysis.sh 1 | tail -n 3 | sed 's/^/   /'
