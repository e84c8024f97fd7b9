#!/usr/bin/env bash
# The benchmark of issue 9: pacsfs (durability local and remote), s3fs, rclone and a plain local directory, side by
# side, on buckets of ONE S3Proxy server, each bucket behind its own request/byte-counting proxy. See docs/BENCHMARKS.md.
#
#   bench/run.sh               the full run (about 40 minutes on 2 cores); needs root (drop_caches, FUSE, apt-get)
#   bench/run.sh --quick       small sizes, all systems (a few minutes): for developing the harness
#   bench/run.sh --self-check  small sizes, pacsfs only (no s3fs/rclone needed): a smoke test of the harness
#   options: --systems a,b,... (local,pacsfs-local,pacsfs-remote,s3fs,rclone)  --workloads a,b,...
#            (append-close,append-close-pause,dicom-series,dicom-series-fsync,dicom-series-fsync-compressible,seq,
#             fsync-latency,metadata,storescp,fio)  --out DIR (default bench/results/DATE)  --no-build
#            --s3-latency-ms N (each counting proxy delays every request by N ms, standing in for a real S3
#            endpoint's round trip; default 0: S3Proxy on loopback as it is)
#
# Installs what is missing (apt-get install s3fs rclone dcmtk fio), builds pacsfs (never mvn install), compiles the
# S3 side (it/src/test/java/org/pacsfs/it/bench) against the build, runs bench/bench.py, and on every exit unmounts
# what it mounted and stops its S3Proxy. Work files live in a fresh directory under ${BENCH_DIR:-/var/tmp}.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=full; systems="local,pacsfs-local,pacsfs-remote,s3fs,rclone"; workloads=""; out=""; build=1
command_line="bench/run.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick ;;
    --self-check) mode=quick; systems="pacsfs-local,pacsfs-remote" ;;
    --systems) systems="$2"; shift ;;
    --workloads) workloads="$2"; shift ;;
    --out) out="$2"; shift ;;
    --no-build) build=0 ;;
    --s3-latency-ms) export BENCH_S3_LATENCY_MS="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1'; accepted: --quick, --self-check, --systems LIST, --workloads LIST, --out DIR, --no-build, --s3-latency-ms N" >&2; exit 2 ;;
  esac
  shift
done
if [[ $EUID -ne 0 ]]; then
  echo "bench/run.sh: needs root (it drops the page cache, mounts FUSE filesystems and may apt-get install tools)" >&2
  exit 2
fi

need=(fio:fio storescp:dcmtk fusermount:fuse)
[[ ",$systems," == *",s3fs,"* ]] && need+=(s3fs:s3fs)
[[ ",$systems," == *",rclone,"* ]] && need+=(rclone:rclone)
missing=()
for n in "${need[@]}"; do command -v "${n%%:*}" >/dev/null || missing+=("${n#*:}"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

if [[ $build -eq 1 ]]; then
  (cd "$root" && mvn -B -q -pl fuse-mount -am package -DskipTests)
fi
target="$root/fuse-mount/target"
jar="$(ls "$target"/pacsfs-fuse-mount-*.jar | grep -v -- '-tests.jar' | head -1)"

work="$(mktemp -d "${BENCH_DIR:-/var/tmp}/pacsfs-bench-XXXXXX")"
out="${out:-$root/bench/results/$(date -u +%Y%m%d-%H%M%S)-$mode}"
mkdir -p "$out"
server_pid=""
cleanup() {
  set +e
  # unmount whatever is still mounted below the work directory (only ours: the paths are in our mktemp directory)
  awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | while read -r m; do
    fusermount -u "$m" 2>/dev/null || fusermount -uz "$m"
  done
  if [[ -n "$server_pid" ]]; then
    s3proxy_pid="$(sed -n 's/^S3PROXY_PID=//p' "$work/server.env" 2>/dev/null)"
    kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
    [[ -n "$s3proxy_pid" ]] && kill -0 "$s3proxy_pid" 2>/dev/null && kill -TERM "$s3proxy_pid"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

javac -nowarn -d "$work/classes" -cp "$jar:$target/lib/*" "$root"/it/src/test/java/org/pacsfs/it/bench/*.java
java -Xmx512m -cp "$work/classes:$jar:$target/lib/*" org.pacsfs.it.bench.BenchS3 "$work" "$target/s3proxy/s3proxy.jar" $$ \
  b-pacsfs-local b-pacsfs-remote b-s3fs b-rclone > "$work/benchs3.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  [[ -f "$work/server.env" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the S3 side did not start:" >&2; tail -20 "$work/benchs3.log" >&2; exit 1; }
  sleep 0.2
done
echo "S3Proxy up; results go to $out"
python3 "$root/bench/bench.py" --work "$work" --out "$out" \
  $( [[ $mode == quick ]] && echo --quick ) --systems "$systems" --workloads "$workloads" --command "$command_line" \
  2>&1 | tee "$out/run.log"
exit "${PIPESTATUS[0]}"
