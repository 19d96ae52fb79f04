#!/usr/bin/env bash
# crawl.sh measures `winnow crawl` on generated local news sites of two sizes
# (default 2,000 and 20,000 articles; parallel 8, delay 0), in one run:
# pages/s and peak RSS of each crawl, then the RSS ratio of the large crawl
# to the small one (it should stay near 1: memory must not grow with the
# pages visited beyond the state store's cache), then pages/s of an
# unchanged re-crawl of the small site.
#
#   bench/crawl.sh [SMALL [LARGE]]
#
# Needs GNU time (/usr/bin/time, Debian package "time") for peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

small=${1:-2000}
large=${2:-20000}
port=${PORT:-18099}
[ -x /usr/bin/time ] || { echo "crawl.sh: needs /usr/bin/time (apt-get install -y time)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/winnow" ./cmd/winnow
go build -o "$work/sitegen" ./crawler/internal/sitegen

# serve N: start the generated site of N articles on the next port.
serve() {
	port=$((port + 1))
	"$work/sitegen" -n "$1" -addr "127.0.0.1:$port" 2>/dev/null &
	pids+=($!)
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
		sleep 0.1
	done
	echo "crawl.sh: site on port $port did not start" >&2
	exit 1
}

# crawl NAME OUT: crawl the site on $port into OUT; prints "pages/s rss_kib".
crawl() {
	local name=$1 out=$2
	/usr/bin/time -v -o "$work/$name.time" "$work/winnow" crawl --allow-private --delay 0 --parallel 8 \
		--log-level warn --out "$out" "http://127.0.0.1:$port/" >"$work/$name.summary" 2>"$work/$name.log"
	local fetched rss secs
	fetched=$(awk '/^  fetched/ {print $2}' "$work/$name.summary")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s}' "$work/$name.time")
	awk -v f="$fetched" -v s="$secs" -v r="$rss" 'BEGIN { printf "%.1f %d\n", f / s, r }'
}

mib() { awk -v k="$1" 'BEGIN { print k / 1024 }'; }

printf '%-28s %10s %12s\n' "crawl" "pages/s" "peak RSS MiB"
serve "$small"
read -r small_rate small_rss < <(crawl small "$work/out-small")
printf '%-28s %10.1f %12.1f\n' "$small articles" "$small_rate" "$(mib "$small_rss")"
read -r again_rate again_rss < <(crawl again "$work/out-small")
printf '%-28s %10.1f %12.1f\n' "$small articles, unchanged" "$again_rate" "$(mib "$again_rss")"
serve "$large"
read -r large_rate large_rss < <(crawl large "$work/out-large")
printf '%-28s %10.1f %12.1f\n' "$large articles" "$large_rate" "$(mib "$large_rss")"
printf '\npeak RSS %s ÷ %s articles: %.2f\n' "$large" "$small" "$(awk -v a="$large_rss" -v b="$small_rss" 'BEGIN { print a / b }')"
