#!/bin/sh
# bench.sh: every performance target of the project, measured with Go
# benchmarks, printed as ratios against its target. Usage: scripts/bench.sh
# Takes about two minutes; run it on an otherwise idle machine for stable figures.
set -eu
cd "$(dirname "$0")/.."

metric() { # metric NAME OUTPUT: the value printed before NAME on a benchmark line
	printf '%s\n' "$2" | awk -v m="$1" '/^Benchmark/ { for (i = 2; i <= NF; i++) if ($i == m) v = $(i-1) } END { print v }'
}

echo "== fan-out: 40 loopback feeds, each 400 ms away, config defaults (targets: whole run <= 0.6 s; stage <= 1.2x the slowest source)"
out=$(go test -run '^$' -bench 'BenchmarkFanOut40' -benchtime 3x ./orchestrator)
echo "   whole run: $(metric run-s "$out") s = $(metric x_target_0.6s "$out")x the 0.6 s target"
echo "   stage / slowest source: $(metric x_slowest_source "$out")x   speed-up over sequential: $(metric x_speedup_vs_sequential "$out")x"

echo "== bandwidth: 20 feeds, second run with the conditional-GET cache (target: < 5% of the first run's bytes)"
out=$(go test -run '^$' -bench 'BandwidthSecondRun' -benchtime 3x ./agents/fetch)
printf '%s\n' "$out" | grep -E '^Benchmark' | sed 's/^/   /'

echo "== isolation round trip, 10 articles (target: median < 5 ms and >= 10x below a Python child)"
scripts/bench-isolation.sh 200 | sed -n '/^Go child/,$p' | sed 's/^/   /'

echo "== hand-off, 10 articles through the real analyzer (targets: <= 3 ms from articles to decoded report with the analyzer started ahead; <= 6 ms as a whole process)"
out=$(go test -run '^$' -bench 'BenchmarkHandOff' -benchtime 100x ./orchestrator/isolation)
echo "   hand-off: $(metric handoff-ms "$out") ms = $(metric x_target_handoff_3ms "$out")x the 3 ms target"
echo "   whole process: $(metric whole-ms "$out") ms = $(metric x_target_whole_6ms "$out")x the 6 ms target"

echo "== analysis vs its floor, 10,000 articles, interleaved (target: whole <= 1.6x read+decode+tokenize on all cores)"
out=$(go test -run '^$' -bench 'BenchmarkFloor' -benchtime 2x ./cmd/research-analyze)
for shape in narrow broad real; do
	line=$(printf '%s\n' "$out" | grep "^BenchmarkFloor/$shape-" || true)
	[ -n "$line" ] || continue
	printf '%s\n' "$line" | awk -v s="$shape" '{ for (i = 2; i <= NF; i++) { if ($i == "whole-s") w = $(i-1); if ($i == "floor-s") f = $(i-1); if ($i == "x_floor") x = $(i-1) }
		printf "   %-7s whole %.2f s, floor %.2f s: %.2fx the floor = %.2fx the 1.6x target\n", s, w, f, x, x / 1.6 }'
done

echo "== analysis: 10,000 articles (~50 MB) through the pipe (target: <= 2 s wall, <= 1 GB peak; near-linear from 1k)"
scripts/bench-analysis.sh 1 | grep -E "best wall|targets|100000|load average" | sed "s/^/   /"
