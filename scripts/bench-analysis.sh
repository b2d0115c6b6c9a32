#!/usr/bin/env bash
# bench-analysis.sh: end-to-end performance of research-analyze through a real
# pipe. Builds the binary, generates synthetic requests of 1,000 and 10,000
# articles (~5 KB of content each, ~5 MB and ~55 MB of JSON), runs each a few
# times under /usr/bin/time -v and prints wall time, CPU time and peak RSS,
# then the 1k -> 10k wall-time ratio. Two word distributions: zipf (realistic:
# function words, topics, Zipf-distributed vocabulary) and uniform (every word
# drawn uniformly from 20,000 pseudo-words: the worst case for per-term work).
#
# usage: scripts/bench-analysis.sh [runs] [shapes]
#   runs   default 3; reports the best run
#   shapes default "zipf uniform"
# With BENCH_100K=1 it also runs 100,000 articles (~550 MB) once, under the
# isolation runner's default limits (RLIMIT_DATA 2 GiB and the same soft
# memory limit), and prints whether it fit. Issue-12 targets printed as
# ratios: 10k wall <= 1.0 s (idle machine), 10k peak RSS <= 300 MB.
set -euo pipefail

runs=${1:-3}
shapes=${2:-zipf uniform}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
go build -o "$work/research-analyze" ./cmd/research-analyze
go build -o "$work/research-eval" ./cmd/research-eval

if [[ ! -x /usr/bin/time ]]; then
	echo "bench-analysis: /usr/bin/time is needed (apt-get install time)" >&2
	exit 1
fi

declare -A best_wall best_rss
for shape in $shapes; do
	for n in 1000 10000; do
		req="$work/req-$shape-$n.json"
		"$work/research-eval" synth --articles "$n" --bytes 5000 --seed 1 --shape "$shape" >"$req"
		size=$(stat -c %s "$req")
		best=""
		for ((i = 1; i <= runs; i++)); do
			"/usr/bin/time" -v "$work/research-analyze" <"$req" >"$work/out.json" 2>"$work/time.txt"
			wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
			secs=$(awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }' <<<"$wall")
			user=$(awk -F': ' '/User time/ {print $2}' "$work/time.txt")
			sys=$(awk -F': ' '/System time/ {print $2}' "$work/time.txt")
			rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
			printf 'shape=%-7s articles=%-6d request=%5.1f MB  run %d: wall %6.2f s  user %5.2f s  sys %4.2f s  max RSS %6.1f MB\n' \
				"$shape" "$n" "$(echo "$size / 1000000" | bc -l)" "$i" "$secs" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)"
			if [[ -z "$best" ]] || (($(echo "$secs < $best" | bc -l))); then
				best=$secs
			fi
			if [[ -z "${best_rss[$shape-$n]:-}" ]] || ((rss < best_rss[$shape-$n])); then
				best_rss[$shape-$n]=$rss
			fi
		done
		best_wall[$shape-$n]=$best
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r["ranking"])==int(sys.argv[2])' "$work/out.json" "$n" 2>/dev/null ||
			echo "warning: could not check the report with python3" >&2
	done
	printf 'shape=%s best wall: 1k %.2f s, 10k %.2f s, ratio 10k/1k %.1f (10x the articles)\n' "$shape" \
		"${best_wall[$shape-1000]}" "${best_wall[$shape-10000]}" "$(echo "${best_wall[$shape-10000]} / ${best_wall[$shape-1000]}" | bc -l)"
	printf 'shape=%s 10k targets: wall %.2fx the 1.0 s target, peak RSS %.2fx the 300 MB target\n' "$shape" \
		"${best_wall[$shape-10000]}" "$(echo "${best_rss[$shape-10000]} / 1024 / 300" | bc -l)"
done
if [[ "${BENCH_100K:-}" == 1 ]]; then
	req="$work/req-100k.json"
	"$work/research-eval" synth --articles 100000 --bytes 5000 --seed 1 >"$req"
	limit=$((2 << 30))
	set +e
	RESEARCH_ANALYZE_MEMORY_LIMIT=$limit "/usr/bin/time" -v prlimit --data=$limit "$work/research-analyze" <"$req" >"$work/out.json" 2>"$work/time.txt"
	code=$?
	set -e
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
	printf 'articles=100000 request=%5.1f MB under RLIMIT_DATA 2 GiB: exit %d, wall %s, max RSS %.1f MB (%.2fx the 2 GiB limit)\n' \
		"$(echo "$(stat -c %s "$req") / 1000000" | bc -l)" "$code" "$wall" "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss * 1024 / $limit" | bc -l)"
	[[ $code -eq 0 ]] || tail -n 3 "$work/time.txt" | sed 's/^/    /'
fi
printf 'load average during the run: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
