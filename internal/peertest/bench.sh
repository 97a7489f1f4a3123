#!/usr/bin/env bash
# Benchmarks and footprint of backupcopy against the official SDKs.
#
#   internal/peertest/bench.sh bench [count]   per-call, signing and wait-at-scale benchmarks (default count 6),
#                                              summarised with benchstat (medians computed here if it is absent)
#   internal/peertest/bench.sh footprint       stripped binary sizes of the footprint programs, each built
#                                              in a module shaped like a user's (figures also in $OUT/footprint.tsv)
#   internal/peertest/bench.sh modules         modules a fresh user program needs (ours vs the official SDKs)
#   internal/peertest/bench.sh profile         CPU and memory profiles of the per-call and signing benchmarks
#   internal/peertest/bench.sh fleetwait [large]  waits at fleet scale on the four clouds (1,000 per client; with
#                                              "large" also 10,000), then the chart $OUT/fleetwait.svg
#                                              (BENCHMARKS.md, "Waiting at fleet scale")
#   internal/peertest/bench.sh all [count]     footprint, modules and bench (profile and fleetwait are separate)
#
# Output files go to $OUT (default: a new directory under /tmp).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$(mktemp -d /tmp/backupcopy-bench.XXXXXX)}
mkdir -p "$OUT"

benchstat_bin() {
	if command -v benchstat >/dev/null 2>&1; then command -v benchstat
	elif [ -x "$(go env GOPATH)/bin/benchstat" ]; then echo "$(go env GOPATH)/bin/benchstat"
	fi
}

# medians FILE: median of every reported unit per benchmark name.
medians() {
	awk '
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		for (i = 3; i + 1 <= NF; i += 2) { key = name SUBSEP $(i+1); vals[key] = vals[key] " " $i; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
	}
	END {
		for (k = 1; k <= n; k++) {
			key = order[k]; m = split(substr(vals[key], 2), a, " ")
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
			split(key, p, SUBSEP); printf "%-55s %14.6g %s (n=%d)\n", p[1], med, p[2], m
		}
	}' "$1"
}

# ratios FILE: per-call goals from the medians (allocs above floor vs the
# official's, ns/op vs official and vs floor).
ratios() {
	medians "$1" | awk '
	$1 ~ /^BenchmarkCopy\// && ($3 == "ns/op" || $3 == "allocs/op" || $3 == "B/op") {
		n = split($1, p, "/"); api = p[2]; who = p[3]; v[api, who, $3] = $2; apis[api] = 1
	}
	END {
		printf "%-16s %12s %12s %12s %14s %14s %16s\n", "api", "ns ours/off", "ns ours/floor", "allocs ours", "allocs official", "allocs floor", "added ours/off"
		for (a in apis) {
			o = v[a, "backupcopy", "ns/op"]; f = v[a, "official", "ns/op"]; fl = v[a, "floor", "ns/op"]
			ao = v[a, "backupcopy", "allocs/op"]; af = v[a, "official", "allocs/op"]; afl = v[a, "floor", "allocs/op"]
			if (o == "" || f == "" || fl == "") { printf "%-16s (incomplete)\n", a; continue }
			printf "%-16s %12.2f %12.2f %12d %14d %14d %16.2f\n", a, o / f, o / fl, ao, af, afl, (af - afl) ? (ao - afl) / (af - afl) : 0
		}
	}'
}

run_bench() {
	local count=${1:-6}
	echo "== benchmarks (count $count) -> $OUT/bench.txt"
	# Rounds of -count 1 rather than one -count N: every round runs every
	# variant, so a change of machine load hits ours, official and floor alike.
	: >"$OUT/bench.txt"
	(cd "$HERE" && go test -c -o "$OUT/peertest.test" .)
	for _ in $(seq "$count"); do
		(cd "$OUT" && ./peertest.test -test.run '^$' -test.bench 'Copy|Sign' -test.benchmem | tee -a "$OUT/bench.txt")
	done
	(cd "$OUT" && ./peertest.test -test.run '^$' -test.bench 'WaitAtScale' -test.benchtime 1x -test.count "$(( count < 3 ? count : 3 ))" | tee -a "$OUT/bench.txt")
	local bs
	bs=$(benchstat_bin || true)
	if [ -n "$bs" ]; then
		echo "== benchstat"
		"$bs" "$OUT/bench.txt" | tee "$OUT/benchstat.txt"
	fi
	echo "== medians"
	medians "$OUT/bench.txt" | tee "$OUT/medians.txt"
	echo "== per-call ratios (medians)"
	ratios "$OUT/bench.txt" | tee "$OUT/ratios.txt"
}

# run_profile: one memory profile (every allocation sampled) and one CPU
# profile per API and client, 5000 calls each. Allocation counts are divided
# by the call count; the loopback server's goroutines (net/http.(*conn).serve)
# are left out of the per-site lists, so they show the client side of the
# call. CPU profiles run for 3 s each.
run_profile() {
	echo "== profiles -> $OUT"
	cd "$HERE"
	local n=5000
	go test -c -o "$OUT/peertest.test" .
	for b in Copy/bigtable/backupcopy Copy/bigtable/official Copy/spanner/backupcopy Copy/spanner/official \
		Copy/cbr/backupcopy Copy/cbr/official Copy/fsx/backupcopy Copy/fsx/official Copy/bigtable/floor \
		Sign/sigv4/backupcopy Sign/sigv4/official Sign/sigv4/aws-http-auth Sign/aksk/backupcopy Sign/aksk/official-signer; do
		local tag=${b//\//_} re="^Benchmark${b//\//\$/^}\$"
		(cd "$OUT" && ./peertest.test -test.run '^$' -test.bench "$re" -test.benchtime "${n}x" -test.memprofile "mem-$tag.prof" -test.memprofilerate 1 >/dev/null)
		(cd "$OUT" && ./peertest.test -test.run '^$' -test.bench "$re" -test.benchtime 3s -test.cpuprofile "cpu-$tag.prof" >/dev/null)
		echo "--- $b: client-side allocations per call, top sites (flat) and cumulative"
		go tool pprof -sample_index=alloc_objects -ignore='net/http.\(\*conn\)\.serve' -top -nodecount=18 "$OUT/peertest.test" "$OUT/mem-$tag.prof" 2>/dev/null |
			awk -v n="$n" '/^ +[0-9]/ { printf "  %7.1f flat %7.1f cum  %s\n", $1 / n, $4 / n, $6; next } /^Showing nodes/ { printf "  total %.1f allocs/call\n", $8 / n }'
		go tool pprof -sample_index=alloc_objects -ignore='net/http.\(\*conn\)\.serve' -top -cum -nodecount=30 "$OUT/peertest.test" "$OUT/mem-$tag.prof" 2>/dev/null |
			awk -v n="$n" '/^ +[0-9]/ && $6 ~ /backupcopy|googleapi|google.golang.org\/api|huaweicloud|aws|smithy|encoding\/json/ { printf "  %7.1f cum  %s\n", $4 / n, $6 }'
		echo "--- $b: CPU, top cumulative entries"
		go tool pprof -top -cum -nodecount=22 "$OUT/peertest.test" "$OUT/cpu-$tag.prof" 2>/dev/null | awk '/^ +[0-9.]+(m?s)? / { print "  " $0 }'
	done
}

# peer_pins: the official SDK modules at the versions the peer module tests.
peer_pins() {
	(cd "$HERE" && go list -m -f '{{.Path}}@{{.Version}}' google.golang.org/api github.com/aws/aws-sdk-go-v2 \
		github.com/aws/aws-sdk-go-v2/credentials github.com/aws/aws-sdk-go-v2/service/fsx github.com/huaweicloud/huaweicloud-sdk-go-v3)
}

# user_module NAME SRC_DIR DIR: DIR becomes a module shaped like a user's,
# holding SRC_DIR's main.go: it requires only what main.go imports, ours
# through a replace directive to this checkout (so it gets the versions our
# go.mod gives users, not the peer module's), the official SDKs at the
# versions in $PEER_PINS; go mod tidy resolves the rest. The caller sets the
# module environment (GOMODCACHE, GOPROXY, ...).
user_module() {
	local name=$1 src=$2 dir=$3
	mkdir -p "$dir"
	cp "$src"/*.go "$dir/"
	cat >"$dir/go.mod" <<GOMOD
module example.com/user/$name

go $(awk '/^go /{print $2; exit}' "$ROOT/go.mod")

replace github.com/backupcopy/backupcopy => $ROOT
GOMOD
	(
		cd "$dir"
		# Our module comes through the replace directive; the official SDKs are
		# pinned at the versions the peer module tests (not whatever is latest).
		if grep -q backupcopy/backupcopy ./*.go; then go mod edit -require=github.com/backupcopy/backupcopy@v0.0.0-00010101000000-000000000000; fi
		for p in $PEER_PINS; do
			if grep -q "\"${p%@*}" ./*.go; then go mod edit -require="$p"; fi
		done
		go mod tidy
	)
}

# The footprint programs, and the line of footprint.tsv each one's figures go
# to (TestFootprintMatchesREADME reads that file).
FOOTPRINT_PROGRAMS="floor ours-all official-all ours-fsx official-fsx ours-cbr official-cbr ours-google official-google"

# run_footprint: each footprint program built as a user would build it, in a
# module of its own (see user_module), with the default module cache;
# writes $OUT/footprint.tsv (program, bytes, bytes above the floor).
run_footprint() {
	echo "== footprint: go build -trimpath -ldflags=\"-s -w\", each program in a module shaped like a user's"
	PEER_PINS=$(peer_pins)
	declare -A size
	local d
	for d in $FOOTPRINT_PROGRAMS; do
		local dir="$OUT/fp-mod-$d"
		rm -rf "$dir"
		if user_module "$d" "$HERE/footprint/$d" "$dir" >"$OUT/fp-$d.err" 2>&1 &&
			(cd "$dir" && go build -trimpath -ldflags="-s -w" -o "$OUT/fp-$d" .) >>"$OUT/fp-$d.err" 2>&1; then
			size[$d]=$(stat -c %s "$OUT/fp-$d")
		else
			size[$d]=""
		fi
	done
	local floor=${size[floor]}
	: >"$OUT/footprint.tsv"
	printf "%-16s %12s %14s\n" program bytes "above floor"
	for d in $FOOTPRINT_PROGRAMS; do
		if [ -z "${size[$d]}" ] || [ -z "$floor" ]; then
			printf "%-16s %12s\n" "$d" "(not built: $(tail -c 300 "$OUT/fp-$d.err" | tr '\n' ' '))"
			continue
		fi
		printf "%-16s %12d %14d\n" "$d" "${size[$d]}" $(( size[$d] - floor ))
		printf "%s\t%d\t%d\n" "$d" "${size[$d]}" $(( size[$d] - floor )) >>"$OUT/footprint.tsv"
	done
	echo "ratio of bytes added above floor, ours / official (goal: <=0.3 fsx, cbr; <=0.5 all):"
	for s in all fsx cbr google; do
		local o=${size[ours-$s]} f=${size[official-$s]}
		if [ -n "$o" ] && [ -n "$f" ]; then
			awk -v o="$o" -v f="$f" -v fl="$floor" -v s="$s" 'BEGIN { printf "  %-8s %.3f  (%.2f MB vs %.2f MB added)\n", s, (o - fl) / (f - fl), (o - fl) / 1e6, (f - fl) / 1e6 }'
		else
			printf "  %-8s n/a (a program did not build)\n" "$s"
		fi
	done
}

# modules NAME SRC_DIR: a fresh user module holding SRC_DIR's main.go, its
# requirements resolved by go mod tidy (ours through a replace directive to
# this checkout), counted with go list -m all and by the module zips a fresh
# module cache has to fetch. The local module cache serves as the first
# proxy, so nothing already here is downloaded again.
count_modules() {
	local name=$1 src=$2 top dir cache
	top=$(mktemp -d "$OUT/mod-$name.XXXX")
	dir="$top/m"
	cache="$top/cache"
	(
		export GOMODCACHE="$cache" GOFLAGS="-modcacherw" GOSUMDB=off GOTOOLCHAIN=local
		export GOPROXY="file://$(go env GOMODCACHE)/cache/download,https://proxy.golang.org"
		user_module "$name" "$src" "$dir" >/dev/null 2>"$top/tidy.err" || { echo "$name: go mod tidy failed: $(head -c 300 "$top/tidy.err")"; exit 0; }
		cd "$dir"
		go mod download >/dev/null 2>&1 || true
		local all zips mods bytes
		all=$(go list -m all | wc -l)
		zips=$(find "$cache/cache/download" -name '*.zip' | wc -l)
		mods=$(find "$cache/cache/download" -name '*.mod' | wc -l)
		bytes=$(find "$cache/cache/download" -name '*.zip' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
		printf "%-16s %8d %12d %12d %14s\n" "$name" "$all" "$zips" "$mods" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')"
		if [ -n "${VERBOSE:-}" ]; then find "$cache/cache/download" -name '*.zip' -printf '    %s %P\n' | sort -rn | head -8; fi
	)
	chmod -R u+w "$top" 2>/dev/null || true
	rm -rf "$top"
}

run_modules() {
	PEER_PINS=$(peer_pins)
	echo "== modules of a fresh user program (ours via replace => $ROOT; our own module is not counted in the downloads)"
	printf "%-16s %8s %12s %12s %14s\n" program "list -m" "zips fetched" "go.mod files" "zip MB"
	for d in ours-all official-all ours-fsx official-fsx ours-cbr official-cbr ours-google official-google; do
		count_modules "$d" "$HERE/footprint/$d"
	done
}

run_fleetwait() {
	local large=0
	[ "${1:-}" = large ] && large=1
	(cd "$HERE" && BACKUPCOPY_BENCH_FLEET_LARGE=$large go test -run '^$' -bench 'WaitFleet' -benchtime 1x -timeout 60m . | tee "$OUT/fleetwait.txt")
	(cd "$HERE" && go run ./benchchart <"$OUT/fleetwait.txt" >"$OUT/fleetwait.svg")
	echo "chart: $OUT/fleetwait.svg"
}

case "${1:-all}" in
bench) run_bench "${2:-6}" ;;
fleetwait) run_fleetwait "${2:-}" ;;
footprint) run_footprint ;;
modules) run_modules ;;
profile) run_profile ;;
all)
	run_footprint
	run_modules
	run_bench "${2:-6}"
	;;
*)
	echo "usage: $0 [bench [count]|fleetwait [large]|footprint|modules|profile|all]" >&2
	exit 2
	;;
esac
echo "(outputs in $OUT)"
