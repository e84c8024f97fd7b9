#!/usr/bin/env python3
"""The benchmark of issue 9: pacsfs (durability local and remote), s3fs, rclone and a local directory, side by side.

Started by bench/run.sh (which installs the tools, builds pacsfs and compiles the S3 side). One S3Proxy process
serves one bucket per system; each bucket sits behind its own counting proxy (it/.../bench/CountingProxy.java),
so the requests and bytes every workload sends to S3 are counted apart. Every workload verifies what it wrote.
Results: results.md, results.csv and results.json in the output directory.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20

SYSTEMS = ["local", "pacsfs-local", "pacsfs-remote", "s3fs", "rclone"]
RCLONE_WRITE_BACK = 5.0  # rclone's --vfs-write-back default, seconds
S3FS_OPTS = ("use_path_request_style,use_cache={cache},parallel_count=8,multipart_size=10,"
             "max_stat_cache_size=100000,stat_cache_expire=900,enable_noobj_cache")
RCLONE_OPTS = ["--vfs-cache-mode", "writes", "--vfs-write-back", "5s", "--dir-cache-time", "5m",
               "--s3-upload-concurrency", "4", "--s3-chunk-size", "5M"]


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def now():
    return time.monotonic()


def drop_caches():
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def wait_until(cond, timeout, what):
    end = now() + timeout
    while now() < end:
        if cond():
            return
        time.sleep(0.1)
    raise RuntimeError("timed out after %.0f s waiting for %s" % (timeout, what))


class Data:
    """Incompressible source data, generated once outside every timing; slices differ per file."""

    def __init__(self, size):
        self.pool = os.urandom(size)

    def chunk(self, key, length):
        # a per-key offset into the pool, so files do not share content
        off = (hash_int(key) % max(1, len(self.pool) - length))
        return self.pool[off:off + length]


def hash_int(key):
    return int.from_bytes(hashlib.blake2b(str(key).encode(), digest_size=8).digest(), "big")


def dicom_like(length, seed):
    """Compressible data shaped like CT pixel data: 12-bit values in 16-bit words, smooth with a little noise."""
    rnd = random.Random(seed)
    out = bytearray(length)
    v = 1000
    for i in range(0, length, 2):
        if (i // 2) % 512 == 0:
            v = 1000 + rnd.randint(-200, 200)
        v = max(0, min(4095, v + rnd.randint(-3, 3)))
        out[i] = v & 0xFF
        out[i + 1] = v >> 8
    return bytes(out)


# --------------------------------------------------------------------------------------------------- S3 counters

class Counters:
    FIELDS = ["bytes_up", "bytes_down", "requests", "PUT", "POST", "GET", "HEAD", "DELETE"]

    def __init__(self, work):
        self.path = os.path.join(work, "counters.tsv")

    def read(self, bucket):
        if bucket is None:
            return {k: 0 for k in self.FIELDS}
        time.sleep(0.15)  # the file is rewritten every 50 ms
        with open(self.path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if parts[0] == bucket:
                    return dict(zip(self.FIELDS, map(int, parts[1:])))
        raise RuntimeError("bucket %s not in counters" % bucket)


# --------------------------------------------------------------------------------------------------- systems

class System:
    """A mounted filesystem under test; `bucket` None for the local directory."""
    bucket = None
    pid = None
    options = ""

    def __init__(self, name, bench):
        self.name = name
        self.bench = bench
        self.dir = os.path.join(bench.work, "sys-" + name)
        self.mnt = os.path.join(self.dir, "mnt")
        os.makedirs(self.mnt, exist_ok=True)

    def mount(self, fresh_cache=False):
        pass

    def unmount(self):
        pass

    def drain(self, timeout):
        """Waits until everything written is in S3; returns seconds waited."""
        return 0.0

    def cold(self):
        """Makes the next read cold: nothing of the data in page cache or local cache."""
        drop_caches()

    def memory(self):
        return {}

    def rss(self):
        if self.pid is None:
            return {}
        out = {}
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith(("VmHWM", "VmRSS")):
                    k, v = line.split(":")
                    out[k] = int(v.split()[0]) * 1024
        return out

    def cpu_seconds(self):
        """User + system CPU time of the mount process so far (all its threads)."""
        if self.pid is None:
            return None
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset_peak(self):
        if self.pid is not None:
            with open("/proc/%d/clear_refs" % self.pid, "w") as f:
                f.write("5\n")  # resets VmHWM to the current RSS


class Local(System):
    options = "plain directory on the same disk as the caches (ext4 on /dev/vda)"

    def mount(self, fresh_cache=False):
        pass


class Pacsfs(System):
    def __init__(self, name, bench, durability):
        super().__init__(name, bench)
        self.bucket = "b-" + name
        self.durability = durability
        self.proc = None
        self.cache_gen = 0
        self.options = ("bin/pacsfs mount s3://%s MNT --endpoint PROXY --create --durability %s --cache-dir DIR "
                        "--expected-files 200000 -f; defaults otherwise (the launcher's -Xmx448m -XX:MaxDirectMemorySize=64m, "
                        "memory cache a quarter of the heap = 112M, disk cache 10G, read-ahead 56M, shipping at "
                        "nice 10); NMT summary on for the memory figures"
                        % (self.bucket, durability))

    def cache_dir(self):
        return os.path.join(self.dir, "cache%d" % self.cache_gen)

    def mount(self, fresh_cache=False):
        if fresh_cache:
            shutil.rmtree(self.cache_dir(), ignore_errors=True)
            self.cache_gen += 1
        env = dict(self.bench.s3env)
        # the launcher's default heap and direct-memory bounds (bin/pacsfs), plus NMT for the memory figures
        env["PACSFS_JAVA_OPTS"] = "-Xmx448m -XX:MaxDirectMemorySize=64m -XX:NativeMemoryTracking=summary"
        cmd = [os.path.join(ROOT, "bin", "pacsfs"), "mount", "s3://" + self.bucket, self.mnt,
               "--endpoint", self.bench.proxy(self.bucket), "--create", "--durability", self.durability,
               "--cache-dir", self.cache_dir(), "--expected-files", "200000", "-f"]
        logf = open(os.path.join(self.dir, "mount.log"), "a")
        self.proc = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: is_mounted(self.mnt) or self.proc.poll() is not None, 120, "pacsfs mount")
        if self.proc.poll() is not None:
            raise RuntimeError("pacsfs mount failed, see %s/mount.log" % self.dir)
        self.pid = self.proc.pid  # bin/pacsfs execs java

    def status(self):
        # what `pacsfs status --json` prints, read straight from the mount's status xattr (no JVM start per poll)
        return json.loads(os.getxattr(self.mnt, "user.pacsfs.status").decode())

    def drain(self, timeout):
        t0 = now()
        end = t0 + timeout
        while now() < end:
            if self.status()["unshippedRecords"] == 0:
                return now() - t0
            time.sleep(0.05)
        raise RuntimeError("pacsfs did not drain in %.0f s" % timeout)

    def unmount(self):
        if self.proc is None:
            return
        # Not `pacsfs unmount`: it waits for the mount's pid to go away, which a child we have not reaped never does.
        # fusermount -u, then the mount process drains the write-log and exits (as with `pacsfs unmount`).
        subprocess.run(["fusermount", "-u", self.mnt])
        try:
            self.proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            subprocess.run(["fusermount", "-uz", self.mnt])
        self.proc = None
        self.pid = None

    def cold(self):
        self.drain(600)
        self.unmount()
        drop_caches()
        self.mount(fresh_cache=True)

    def memory(self):
        """Heap and direct memory (NMT categories 'Java Heap' and 'Other', where JDK 17 books direct buffers)."""
        r = subprocess.run(["jcmd", str(self.pid), "VM.native_memory", "summary"], capture_output=True, text=True,
                           timeout=60)
        out = {}
        for cat, key in (("Java Heap", "heap_committed"), ("Other", "direct_committed"), ("Total", "nmt_committed")):
            m = re.search(r"-?\s*%s \(reserved=\d+KB, committed=(\d+)KB" % re.escape(cat), r.stdout)
            if cat == "Total":
                m = re.search(r"Total: reserved=\d+KB, committed=(\d+)KB", r.stdout)
            if m:
                out[key] = int(m.group(1)) * 1024
        r = subprocess.run(["jcmd", str(self.pid), "GC.heap_info"], capture_output=True, text=True, timeout=60)
        m = re.search(r"total (\d+)K, used (\d+)K", r.stdout)
        if m:
            out["heap_used"] = int(m.group(2)) * 1024
        # the live set: what a smaller -Xmx would have to hold (a full GC after the workload, outside every timing)
        subprocess.run(["jcmd", str(self.pid), "GC.run"], capture_output=True, timeout=120)
        r = subprocess.run(["jcmd", str(self.pid), "GC.heap_info"], capture_output=True, text=True, timeout=60)
        m = re.search(r"total (\d+)K, used (\d+)K", r.stdout)
        if m:
            out["heap_live"] = int(m.group(2)) * 1024
        return out


class S3fs(System):
    def __init__(self, name, bench):
        super().__init__(name, bench)
        self.bucket = "b-s3fs"
        self.proc = None
        self.passwd = os.path.join(self.dir, "passwd")
        self.options = "s3fs BUCKET MNT -f -o url=PROXY,passwd_file=F," + S3FS_OPTS.format(cache="DIR")

    def mount(self, fresh_cache=False):
        cache = os.path.join(self.dir, "cache")
        if fresh_cache:
            shutil.rmtree(cache, ignore_errors=True)
        os.makedirs(cache, exist_ok=True)
        with open(os.open(self.passwd, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write("%s:%s\n" % (self.bench.s3env["AWS_ACCESS_KEY_ID"], self.bench.s3env["AWS_SECRET_ACCESS_KEY"]))
        opts = "url=%s,passwd_file=%s,%s" % (self.bench.proxy(self.bucket), self.passwd, S3FS_OPTS.format(cache=cache))
        logf = open(os.path.join(self.dir, "mount.log"), "a")
        self.proc = subprocess.Popen(["s3fs", self.bucket, self.mnt, "-f", "-o", opts], stdout=logf,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: is_mounted(self.mnt) or self.proc.poll() is not None, 60, "s3fs mount")
        if self.proc.poll() is not None:
            raise RuntimeError("s3fs mount failed, see %s/mount.log" % self.dir)
        self.pid = self.proc.pid

    def drain(self, timeout):
        return 0.0  # s3fs uploads on flush/close: everything is in S3 when close returns

    def unmount(self):
        if self.proc is None:
            return
        subprocess.run(["fusermount", "-u", self.mnt])
        try:
            self.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            subprocess.run(["fusermount", "-uz", self.mnt])
        self.proc = None
        self.pid = None

    def cold(self):
        self.unmount()
        drop_caches()
        self.mount(fresh_cache=True)


class Rclone(System):
    def __init__(self, name, bench):
        super().__init__(name, bench)
        self.bucket = "b-rclone"
        self.proc = None
        self.rc_port = None
        self.cache_gen = 0
        self.options = "rclone mount bench:BUCKET MNT " + " ".join(RCLONE_OPTS) + \
                       " --cache-dir DIR (s3 provider Other, path style), --rc for vfs/stats"

    def mount(self, fresh_cache=False):
        if fresh_cache:
            shutil.rmtree(os.path.join(self.dir, "cache%d" % self.cache_gen), ignore_errors=True)
            self.cache_gen += 1
        env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
        env.update({
            "RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": self.bench.s3env["AWS_ACCESS_KEY_ID"],
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": self.bench.s3env["AWS_SECRET_ACCESS_KEY"],
            "RCLONE_CONFIG_BENCH_ENDPOINT": self.bench.proxy(self.bucket),
            "RCLONE_CONFIG_BENCH_REGION": "us-east-1", "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true",
            "RCLONE_CONFIG": os.path.join(self.dir, "rclone.conf")})
        self.rc_port = free_port()
        cmd = ["rclone", "mount", "bench:" + self.bucket, self.mnt, "--cache-dir",
               os.path.join(self.dir, "cache%d" % self.cache_gen)] + RCLONE_OPTS + \
              ["--rc", "--rc-addr", "127.0.0.1:%d" % self.rc_port, "--rc-no-auth", "--log-level", "NOTICE"]
        logf = open(os.path.join(self.dir, "mount.log"), "a")
        self.proc = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: is_mounted(self.mnt) or self.proc.poll() is not None, 60, "rclone mount")
        if self.proc.poll() is not None:
            raise RuntimeError("rclone mount failed, see %s/mount.log" % self.dir)
        self.pid = self.proc.pid

    def vfs_stats(self):
        r = subprocess.run(["rclone", "rc", "--url", "http://127.0.0.1:%d/" % self.rc_port, "vfs/stats"],
                           capture_output=True, text=True, timeout=30)
        return json.loads(r.stdout)

    def drain(self, timeout):
        t0 = now()
        end = t0 + timeout
        while now() < end:
            dc = self.vfs_stats().get("diskCache", {})
            if dc.get("uploadsInProgress", 0) == 0 and dc.get("uploadsQueued", 0) == 0:
                return now() - t0
            time.sleep(0.2)
        raise RuntimeError("rclone did not drain in %.0f s" % timeout)

    def unmount(self):
        if self.proc is None:
            return
        subprocess.run(["fusermount", "-u", self.mnt])
        try:
            self.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            subprocess.run(["fusermount", "-uz", self.mnt])
        self.proc = None
        self.pid = None

    def cold(self):
        self.drain(600)
        self.unmount()
        drop_caches()
        self.mount(fresh_cache=True)


# --------------------------------------------------------------------------------------------------- workloads

class Capped(Exception):
    pass


class Result(dict):
    """One row: workload x system. Keys: ops, bytes, wall, capped, verified, plus workload extras."""


def verify_sha(path, expected_sha):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MIB)
            if not b:
                break
            h.update(b)
    if h.hexdigest() != expected_sha:
        raise RuntimeError("content mismatch in %s" % path)


def wl_append_close(ctx, pause):
    sz = ctx.sizes
    files = sz["append_files_pause"] if pause else sz["append_files"]
    appends = sz["appends"]
    d = os.path.join(ctx.mnt, "append")
    os.makedirs(d, exist_ok=True)
    shas = {}
    data = {}
    for i in range(files):
        data[i] = [ctx.data.chunk(("app", pause, i, j), MIB) for j in range(appends)]
        shas[i] = hashlib.sha256(b"".join(data[i])).hexdigest()
    t0 = now()
    paused = 0.0
    done_rounds = 0
    for j in range(appends):
        if j > 0 and pause:
            time.sleep(RCLONE_WRITE_BACK + 1.0)
            paused += RCLONE_WRITE_BACK + 1.0
        for i in range(files):
            fd = os.open(os.path.join(d, "f%d" % i), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, data[i][j])
            os.close(fd)
        done_rounds += 1
        if ctx.over_cap(t0 + paused):
            break
    wall = now() - t0
    if done_rounds == appends:
        for i in range(files):
            verify_sha(os.path.join(d, "f%d" % i), shas[i])
    else:
        for i in range(files):
            if os.path.getsize(os.path.join(d, "f%d" % i)) != done_rounds * MIB:
                raise RuntimeError("size mismatch")
    return Result(ops=files * done_rounds, bytes=files * done_rounds * MIB, wall=wall, busy=wall - paused,
                  capped=done_rounds < appends, verified=True, files=files,
                  note="%d files x %d appends of 1 MiB%s" % (files, done_rounds,
                                                             ", %.0f s pause between rounds" % (RCLONE_WRITE_BACK + 1) if pause else ""))


def wl_dicom(ctx, fsync, compressible=False):
    n = ctx.sizes["dicom_files"]
    size = 512 * 1024
    d = os.path.join(ctx.mnt, "dicom")
    if compressible:
        base = [dicom_like(size, s) for s in range(8)]
        payload = lambda i: base[i % 8][:size - 16] + i.to_bytes(16, "big")
    else:
        payload = lambda i: ctx.data.chunk(("dcm", fsync, i), size)
    shas = {}
    blobs = {i: payload(i) for i in range(n)}
    for i in range(n):
        shas[i] = hashlib.sha256(blobs[i]).hexdigest()
    t0 = now()
    written = 0
    for i in range(n):
        sd = os.path.join(d, "study%d" % (i // 100), "series%d" % (i // 50))
        if i % 50 == 0:
            os.makedirs(sd, exist_ok=True)
        fd = os.open(os.path.join(sd, "i%05d.dcm" % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, blobs[i])
        if fsync:
            os.fsync(fd)
        os.close(fd)
        written += 1
        if ctx.over_cap(t0):
            break
    wall = now() - t0
    for i in range(written):
        sd = os.path.join(d, "study%d" % (i // 100), "series%d" % (i // 50))
        with open(os.path.join(sd, "i%05d.dcm" % i), "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != shas[i]:
                raise RuntimeError("content mismatch in dicom file %d" % i)
    return Result(ops=written, bytes=written * size, wall=wall, capped=written < n, verified=True, files=written,
                  note="%d files of 512 KiB in 100-file studies%s%s" % (written, ", fsync each" if fsync else "",
                                                                      ", DICOM-like compressible" if compressible else ""))


def wl_seq_write(ctx):
    size_mib = ctx.sizes["seq_mib"]
    src = ctx.bench.seq_source(size_mib)
    dst = os.path.join(ctx.mnt, "seq.bin")
    t0 = now()
    r = subprocess.run(["dd", "if=" + src, "of=" + dst, "bs=1M", "count=%d" % size_mib, "conv=fdatasync"],
                       capture_output=True, text=True)
    wall = now() - t0
    if r.returncode != 0:
        raise RuntimeError("dd failed: " + r.stderr)
    return Result(ops=size_mib, bytes=size_mib * MIB, wall=wall, capped=False, verified="by the cold read",
                  note="dd bs=1M count=%d conv=fdatasync" % size_mib)


def wl_seq_read(ctx, cold):
    size_mib = ctx.sizes["seq_mib"]
    src = ctx.bench.seq_source(size_mib)
    dst = os.path.join(ctx.mnt, "seq.bin")
    t0 = now()
    r = subprocess.run(["dd", "if=" + dst, "of=/dev/null", "bs=1M"], capture_output=True, text=True)
    wall = now() - t0
    if r.returncode != 0:
        raise RuntimeError("dd failed: " + r.stderr)
    if cold:
        if subprocess.run(["cmp", "-s", src, dst]).returncode != 0:
            raise RuntimeError("seq.bin differs from its source")
    return Result(ops=size_mib, bytes=size_mib * MIB, wall=wall, capped=False, verified=bool(cold) or "n/a",
                  note=("after drop_caches and a remount with a fresh cache directory" if cold
                        else "right after the write (page cache / local cache)"))


def wl_fsync_latency(ctx):
    n = ctx.sizes["fsync_ops"]
    block = ctx.data.chunk("fsync", 4096)
    path = os.path.join(ctx.mnt, "fsync.log")
    lat = []
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    t0 = now()
    for i in range(n):
        a = time.perf_counter()
        os.write(fd, block)
        os.fsync(fd)
        lat.append(time.perf_counter() - a)
        if ctx.over_cap(t0):
            break
    wall = now() - t0
    os.close(fd)
    if os.path.getsize(path) != len(lat) * 4096:
        raise RuntimeError("fsync.log has the wrong size")
    with open(path, "rb") as f:
        whole = f.read()
    if whole != block * len(lat):
        raise RuntimeError("fsync.log content mismatch")
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    return Result(ops=len(lat), bytes=len(lat) * 4096, wall=wall, capped=len(lat) < n, verified=True,
                  p50_ms=q(0.50), p99_ms=q(0.99), note="%d appends of 4 KiB, fsync after each" % len(lat))


def wl_meta(ctx, phase, state):
    """Phases create, stat, readdir, unlink over files/dirs; the capped create limits the later phases."""
    nd, nf = ctx.sizes["meta_dirs"], ctx.sizes["meta_files"]
    per = nf // nd
    base = os.path.join(ctx.mnt, "meta")
    t0 = now()
    ops = 0
    if phase == "create":
        os.makedirs(base, exist_ok=True)
        made = []
        try:
            for di in range(nd):
                dd = os.path.join(base, "d%03d" % di)
                os.mkdir(dd)
                for fi in range(per):
                    p = os.path.join(dd, "f%05d" % fi)
                    os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
                    made.append(p)
                    ops += 1
                    if ops % 100 == 0 and ctx.over_cap(t0):
                        raise Capped()
        except Capped:
            pass
        state["files"] = made
    elif phase == "stat":
        for p in state["files"]:
            if os.stat(p).st_size != 0:
                raise RuntimeError("non-empty " + p)
            ops += 1
    elif phase == "readdir":
        seen = 0
        for name in os.listdir(base):
            seen += len(os.listdir(os.path.join(base, name)))
            ops += 1
        if seen != len(state["files"]):
            raise RuntimeError("readdir found %d files, %d were created" % (seen, len(state["files"])))
    elif phase == "unlink":
        for p in state["files"]:
            os.unlink(p)
            ops += 1
        for name in os.listdir(base):
            os.rmdir(os.path.join(base, name))
        if os.listdir(base):
            raise RuntimeError("meta not empty after unlink")
    wall = now() - t0
    total = len(state["files"])
    return Result(ops=ops, bytes=0, wall=wall, capped=total < nf, verified=True, note="%d empty files in %d dirs%s" % (total, nd, " (create capped)" if total < nf else ""))


def wl_rename_prepare(ctx, state):
    n = ctx.sizes["rename_files"]
    d = os.path.join(ctx.mnt, "ren", "a")
    os.makedirs(d, exist_ok=True)
    t0 = now()
    made = 0
    for i in range(n):
        os.close(os.open(os.path.join(d, "f%05d" % i), os.O_WRONLY | os.O_CREAT, 0o644))
        made += 1
        if made % 100 == 0 and ctx.over_cap(t0):
            break
    state["made"] = made


def wl_rename(ctx, state):
    a = os.path.join(ctx.mnt, "ren", "a")
    b = os.path.join(ctx.mnt, "ren", "b")
    t0 = now()
    os.rename(a, b)
    wall = now() - t0
    names = os.listdir(b)
    if len(names) != state["made"] or os.path.exists(a):
        raise RuntimeError("rename: %d of %d files in the new directory" % (len(names), state["made"]))
    return Result(ops=1, bytes=0, wall=wall, capped=state["made"] < ctx.sizes["rename_files"], verified=True,
                  note="rename of a directory holding %d files" % state["made"])


def wl_storescp(ctx):
    n = ctx.sizes["dicom_instances"]
    src_dir = ctx.bench.dicom_instances(n)
    out = os.path.join(ctx.mnt, "storescp")
    os.makedirs(out, exist_ok=True)
    port = free_port()
    env = dict(os.environ, TCP_NODELAY="1")
    scp_log = open(os.path.join(ctx.bench.work, "storescp-%s.log" % ctx.system.name), "w")
    scp = subprocess.Popen(["storescp", "--max-pdu", "131072", "+B", "-od", out, str(port)], env=env,
                           stdout=scp_log, stderr=subprocess.STDOUT)
    try:
        time.sleep(0.5)
        files = sorted(os.path.join(src_dir, f) for f in os.listdir(src_dir))
        t0 = now()
        r = subprocess.run(["storescu", "--max-pdu", "131072", "127.0.0.1", str(port)] + files, env=env,
                           capture_output=True, text=True, timeout=ctx.cap + 600)
        wall = now() - t0
        if r.returncode != 0:
            raise RuntimeError("storescu failed: " + r.stderr[-2000:])
    finally:
        scp.terminate()
        scp.wait(timeout=30)
    received = os.listdir(out)
    if len(received) != n:
        raise RuntimeError("storescp stored %d of %d instances" % (len(received), n))
    px = 512 * 512 * 2
    nbytes = 0
    for f in files:
        uid = os.path.basename(f)
        with open(f, "rb") as a, open(os.path.join(out, "CT." + uid), "rb") as b:
            sa, sb = a.read(), b.read()
            if sa[-px:] != sb[-px:]:
                raise RuntimeError("pixel data of %s differs" % uid)
            nbytes += len(sb)
    return Result(ops=n, bytes=nbytes, wall=wall, capped=False, verified=True, files=n,
                  note="storescu -> storescp +B, %d CT instances (512x512x16 bit), TCP_NODELAY=1, --max-pdu 131072" % n)


def wl_fio(ctx, job):
    d = os.path.join(ctx.mnt, "fio")
    os.makedirs(d, exist_ok=True)
    sz = ctx.sizes
    common = ["--directory=" + d, "--ioengine=psync", "--iodepth=1", "--numjobs=1", "--output-format=json",
              "--runtime=%d" % sz["fio_runtime"], "--refill_buffers", "--randrepeat=0"]
    if job == "seqwrite":
        args = ["--name=seq", "--rw=write", "--bs=1M", "--size=%dM" % sz["fio_seq_mib"], "--end_fsync=1",
                "--verify=crc32c", "--do_verify=1"]
    elif job == "seqread":
        drop_caches()
        args = ["--name=seq", "--rw=read", "--bs=1M", "--size=%dM" % sz["fio_seq_mib"]]
    elif job == "randwrite":
        args = ["--name=rnd", "--rw=randwrite", "--bs=4k", "--size=%dM" % sz["fio_rand_mib"], "--end_fsync=1",
                "--verify=crc32c", "--do_verify=1"]
    elif job == "randread":
        drop_caches()
        args = ["--name=rnd", "--rw=randread", "--bs=4k", "--size=%dM" % sz["fio_rand_mib"]]
    t0 = now()
    # cwd: fio leaves its verify state files (*-verify.state) in the current directory
    r = subprocess.run(["fio"] + common + args, capture_output=True, text=True, timeout=sz["fio_runtime"] * 4 + 600,
                       cwd=ctx.bench.work)
    wall = now() - t0
    if r.returncode != 0:
        raise RuntimeError("fio %s failed: %s %s" % (job, r.stdout[-1500:], r.stderr[-1500:]))
    j = json.loads(r.stdout[r.stdout.index("{"):])["jobs"][0]
    side = j["write"] if "write" in job else j["read"]
    errs = j.get("error", 0)
    if errs:
        raise RuntimeError("fio %s reported error %d" % (job, errs))
    io_bytes = side["io_bytes"]
    return Result(ops=side["total_ios"], bytes=io_bytes, wall=wall, fio_MBps=side["bw_bytes"] / 1e6,
                  fio_iops=side["iops"], capped=io_bytes < (sz["fio_seq_mib"] if "seq" in job else sz["fio_rand_mib"]) * MIB,
                  verified=("crc32c verify pass" if "write" in job else "n/a"),
                  note="fio %s psync iodepth 1, %s, runtime cap %d s" % (job, " ".join(args[1:4]), sz["fio_runtime"]))


# --------------------------------------------------------------------------------------------------- runner

SIZES = {
    "full": dict(append_files=8, append_files_pause=2, appends=16, dicom_files=500, seq_mib=1024, fsync_ops=3000,
                 meta_dirs=100, meta_files=10000, rename_files=1000, dicom_instances=300, fio_seq_mib=256,
                 fio_rand_mib=32, fio_runtime=20, cap=90),
    "quick": dict(append_files=2, append_files_pause=1, appends=4, dicom_files=40, seq_mib=64, fsync_ops=200,
                  meta_dirs=10, meta_files=500, rename_files=100, dicom_instances=20, fio_seq_mib=32,
                  fio_rand_mib=4, fio_runtime=5, cap=20),
}


class Ctx:
    def __init__(self, bench, system):
        self.bench = bench
        self.system = system
        self.mnt = system.mnt
        self.sizes = bench.sizes
        self.data = bench.data
        self.cap = bench.sizes["cap"]

    def over_cap(self, t0):
        return now() - t0 > self.cap


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = args.work
        self.out = args.out
        self.sizes = SIZES["quick" if args.quick else "full"]
        self.data = Data(64 * MIB)
        self.s3env = {}
        for line in open(os.path.join(self.work, "server.env")):
            k, v = line.rstrip("\n").split("=", 1)
            self.s3env[k] = v
        self.counters = Counters(self.work)
        self.rows = []
        self.systems_meta = {}
        self._seq_src = None
        self._dicom = None

    def proxy(self, bucket):
        return self.s3env["PROXY_" + bucket.replace("-", "_")]

    def seq_source(self, size_mib):
        if self._seq_src is None:
            self._seq_src = os.path.join(self.work, "seq-source.bin")
            with open(self._seq_src, "wb") as f:
                for _ in range(size_mib):
                    f.write(os.urandom(MIB))
        return self._seq_src

    def dicom_instances(self, n):
        """n CT instances built with dump2dcm from one template; same-length UIDs patched in, random pixel data."""
        if self._dicom is not None:
            return self._dicom
        d = os.path.join(self.work, "dicom-src")
        os.makedirs(d, exist_ok=True)
        px = 512 * 512 * 2
        raw = os.path.join(self.work, "pixel.raw")
        with open(raw, "wb") as f:
            f.write(b"\0" * px)
        placeholder = "1.2.826.0.1.3680043.10.543.9.999999"
        dump = os.path.join(self.work, "ct.dump")
        with open(dump, "w") as f:
            f.write("""(0002,0001) OB 00\\01
(0002,0002) UI =CTImageStorage
(0002,0003) UI [{uid}]
(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI =CTImageStorage
(0008,0018) UI [{uid}]
(0008,0060) CS [CT]
(0010,0010) PN [Bench^Patient]
(0010,0020) LO [BENCH001]
(0020,000d) UI [1.2.826.0.1.3680043.10.543.1]
(0020,000e) UI [1.2.826.0.1.3680043.10.543.2]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 512
(0028,0011) US 512
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
(7fe0,0010) OW ={raw}
""".format(uid=placeholder, raw=raw))
        template = os.path.join(self.work, "ct-template.dcm")
        subprocess.run(["dump2dcm", "+E", "-q", dump, template], check=True)
        with open(template, "rb") as f:
            t = f.read()
        if t.count(placeholder.encode()) != 2 or t[-px:] != b"\0" * px:
            raise RuntimeError("unexpected dump2dcm output layout")
        for i in range(n):
            uid = placeholder[:-6] + "%06d" % i
            body = t.replace(placeholder.encode(), uid.encode())[:-px] + self.data.chunk(("ct", i), px)
            with open(os.path.join(d, uid), "wb") as f:
                f.write(body)
        self._dicom = d
        return d

    def make(self, name):
        if name == "local":
            return Local(name, self)
        if name == "pacsfs-local":
            return Pacsfs(name, self, "local")
        if name == "pacsfs-remote":
            return Pacsfs(name, self, "remote")
        if name == "s3fs":
            return S3fs(name, self)
        if name == "rclone":
            return Rclone(name, self)
        raise SystemExit("unknown system %r; known: %s" % (name, ", ".join(SYSTEMS)))

    def measure(self, system, workload, fn, drain=True, before=None):
        """Runs fn(); then waits for the drain; records wall, drain, S3 deltas, RSS peak, memory."""
        if before is None:
            before = self.counters.read(system.bucket)
        system.reset_peak()
        log("%s / %s ..." % (system.name, workload))
        try:
            cpu0 = system.cpu_seconds()
            res = fn()
            res["drain"] = system.drain(900) if drain else 0.0
            res["error"] = ""
            cpu1 = system.cpu_seconds()
            # CPU of the mount process from the start to the drain (a remount in between: the new process only)
            res["mount_cpu_s"] = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None and cpu1 >= cpu0 else cpu1
        except Exception as e:  # a failing workload is a row that says so, the run goes on
            log("  FAILED: %s" % e)
            res = Result(ops=0, bytes=0, wall=0.0, drain=0.0, capped=False, verified=False, note="", error=str(e)[:300])
        after = self.counters.read(system.bucket)
        for k in Counters.FIELDS:
            res["s3_" + k] = after[k] - before[k]
        rss = system.rss()
        res["rss_peak"] = rss.get("VmHWM")
        res["rss"] = rss.get("VmRSS")
        try:
            res.update(system.memory())
        except Exception as e:
            res["memory_error"] = str(e)
        res["system"] = system.name
        res["workload"] = workload
        if res.get("wall"):
            busy = res.get("busy", res["wall"])
            res["MBps"] = res["bytes"] / busy / 1e6 if res["bytes"] else None
            res["ops_per_s"] = res["ops"] / busy if res["ops"] else None
        log("  wall %.2f s, drain %.2f s, mount CPU %s s, S3 %d req (%d PUT) %.1f MB up%s%s" % (
            res["wall"], res["drain"], "%.1f" % res["mount_cpu_s"] if res.get("mount_cpu_s") is not None else "-",
            res["s3_requests"], res["s3_PUT"], res["s3_bytes_up"] / 1e6,
            ", CAPPED" if res.get("capped") else "", (", ERROR " + res["error"]) if res["error"] else ""))
        self.rows.append(res)
        return res

    def clean(self, system, sub):
        p = os.path.join(system.mnt, sub)
        if os.path.exists(p):
            shutil.rmtree(p, ignore_errors=True)
        system.drain(900)

    def run_system(self, system):
        meta = {"options": system.options, "load_start": loadavg(), "start": time.strftime("%H:%M:%S")}
        self.systems_meta[system.name] = meta
        log("=== %s (load %s)" % (system.name, meta["load_start"]))
        system.mount(fresh_cache=True)
        try:
            self.workloads(system)
        finally:
            meta["load_end"] = loadavg()
            meta["end"] = time.strftime("%H:%M:%S")
            t0 = now()
            system.unmount()
            meta["unmount_s"] = round(now() - t0, 1)
        log("=== %s done (load %s)" % (system.name, meta["load_end"]))

    def workloads(self, system):
        c = Ctx(self, system)
        only = self.args.workloads
        want = lambda w: not only or w in only
        s = system
        if want("append-close"):
            self.measure(s, "append-close", lambda: wl_append_close(c, False))
            self.clean(s, "append")
        if want("append-close-pause") and s.name != "local":
            self.measure(s, "append-close-pause", lambda: wl_append_close(c, True))
            self.clean(s, "append")
        for w, fs, comp in (("dicom-series", False, False), ("dicom-series-fsync", True, False),
                            ("dicom-series-fsync-compressible", True, True)):
            if want(w):
                self.measure(s, w, lambda: wl_dicom(c, fs, comp))
                self.clean(s, "dicom")
        if want("seq"):
            self.measure(s, "seq-write-1MiB-fdatasync", lambda: wl_seq_write(c))
            self.measure(s, "seq-read-warm", lambda: wl_seq_read(c, False))
            s.cold()
            self.measure(s, "seq-read-cold", lambda: wl_seq_read(c, True), before=self.counters.read(s.bucket))
            self.clean(s, "seq.bin")
        if want("fsync-latency"):
            self.measure(s, "append-4KiB-fsync", lambda: wl_fsync_latency(c))
            self.clean(s, "fsync.log")
        if want("metadata"):
            st = {}
            for ph in ("create", "stat", "readdir", "unlink"):
                self.measure(s, "meta-" + ph, lambda: wl_meta(c, ph, st))
            self.clean(s, "meta")
            rs = {}
            wl_rename_prepare(c, rs)
            s.drain(900)
            self.measure(s, "meta-rename-dir", lambda: wl_rename(c, rs))
            self.clean(s, "ren")
        if want("storescp"):
            self.measure(s, "dcmtk-storescp", lambda: wl_storescp(c))
            self.clean(s, "storescp")
        if want("fio"):
            for job in ("seqwrite", "seqread", "randwrite", "randread"):
                self.measure(s, "fio-" + job, lambda: wl_fio(c, job))
            self.clean(s, "fio")

    def run(self):
        self.started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        self.load_start = loadavg()
        for name in self.args.systems:
            system = self.make(name)
            try:
                self.run_system(system)
            except Exception as e:
                log("system %s aborted: %s" % (name, e))
                self.systems_meta.setdefault(name, {})["error"] = str(e)[:300]
                system.unmount()
            finally:
                if system.bucket:
                    shutil.rmtree(os.path.join(system.dir, "cache%d" % getattr(system, "cache_gen", 0)), ignore_errors=True)
                shutil.rmtree(system.dir, ignore_errors=True)
                if system.bucket:  # nobody reads that bucket again: give the disk back
                    shutil.rmtree(os.path.join(self.work, "s3data", system.bucket), ignore_errors=True)
        self.load_end = loadavg()
        self.finished = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        import report
        report.write(self)
        failed = [r["system"] + "/" + r["workload"] + ": " + r["error"] for r in self.rows if r.get("error")]
        failed += [s + ": " + m["error"] for s, m in self.systems_meta.items() if m.get("error")]
        if failed:  # a workload that failed (or could not verify its data) fails the run: --self-check relies on it
            log("FAILED:\n  " + "\n  ".join(failed))
            sys.exit(1)
        log("all workloads ran and verified their data")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--workloads", default="")
    p.add_argument("--command", default="")
    args = p.parse_args()
    args.systems = [s for s in args.systems.split(",") if s]
    args.workloads = [w for w in args.workloads.split(",") if w]
    for s in args.systems:
        if s not in SYSTEMS:
            raise SystemExit("unknown system %r; known: %s" % (s, ", ".join(SYSTEMS)))
    os.makedirs(args.out, exist_ok=True)
    Bench(args).run()


if __name__ == "__main__":
    main()
