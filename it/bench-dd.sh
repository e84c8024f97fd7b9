#!/usr/bin/env bash
# Issue 7's speed check: dd bs=1M conv=fdatasync of SIZE_MIB (default 1024) through a pacsfs mount (embedded S3)
# against the same dd on the local disk of the write-log directory, in the same run; then re-reads: from the page
# cache, and after dropping caches (echo 3 > /proc/sys/vm/drop_caches, needs root). MOUNT_OPTS adds mount options
# (e.g. MOUNT_OPTS="--background-nice 0" to compare shipping at normal priority). Needs a build:
#   mvn -B -q -pl fuse-mount -am package -DskipTests
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
size_mib="${SIZE_MIB:-1024}"
work="$(mktemp -d "${BENCH_DIR:-/var/tmp}/pacsfs-dd-XXXXXX")"
mnt="$work/mnt"; local_dir="$work/local"; mkdir -p "$mnt" "$local_dir"
cleanup() { "$root/bin/pacsfs" unmount "$mnt" >/dev/null 2>&1 || fusermount -uz "$mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# shellcheck disable=SC2086 # MOUNT_OPTS is a list of options
"$root/bin/pacsfs" mount --embedded-s3 "$work/s3" --cache-dir "$work/cache" ${MOUNT_OPTS:-} "$mnt" >/dev/null

rate() { # dd's "copied, S s, R" -> MB/s (decimal, as dd prints)
  awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'
}
run_dd() { # args: if of extra -> seconds
  local out; out=$(dd if="$1" of="$2" bs=1M count="$size_mib" $3 2>&1 | tail -1)
  echo "$out" | sed -n 's/.*copied, \([0-9.]*\) s.*/\1/p'
}
bytes=$((size_mib * 1048576))
head -c "$bytes" /dev/urandom > "$work/source"   # incompressible, generated once, outside the timing
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
t_local=$(run_dd "$work/source" "$local_dir/f" "conv=fdatasync")
t_mount=$(run_dd "$work/source" "$mnt/f" "conv=fdatasync")
# Reads are measured after the write-log was shipped: on 2 cores, shipping (and S3Proxy) would otherwise take the CPU.
t0=$(date +%s.%N)
until "$root/bin/pacsfs" status "$mnt" --json | grep -q '"unshippedRecords":0,'; do sleep 0.5; done
t_drain=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
echo "everything in S3 $t_drain s after the write returned"
t_local_warm=$(run_dd "$local_dir/f" /dev/null "")
t_mount_warm=$(run_dd "$mnt/f" /dev/null "")
sync; echo 3 > /proc/sys/vm/drop_caches
t_local_cold=$(run_dd "$local_dir/f" /dev/null "")
t_mount_cold=$(run_dd "$mnt/f" /dev/null "")
cmp "$work/source" "$mnt/f" && echo "content verified"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %s | %s | %s | %s |\n' "dd of $size_mib MiB" "local disk MB/s" "pacsfs MB/s" "pacsfs / local"
printf '|---|---|---|---|\n'
for row in "write, conv=fdatasync:$t_local:$t_mount" "re-read, page cache:$t_local_warm:$t_mount_warm" "re-read after drop_caches:$t_local_cold:$t_mount_cold"; do
  IFS=: read -r name tl tm <<< "$row"
  l=$(rate "$bytes" "$tl"); m=$(rate "$bytes" "$tm")
  printf '| %s | %s | %s | %s |\n' "$name" "$l" "$m" "$(awk -v a="$m" -v b="$l" 'BEGIN { printf "%.2f", a / b }')"
done
