#!/usr/bin/env python3
"""CPU seconds the pacsfs mount process spends per GiB written and per GiB read cold (the figure behind the
speed targets of issues 5-7 and 9: robust to machine load, unlike MB/s). See docs/BENCHMARKS.md.

    bench/cpu.py [--size-mib N] [--jfr DIR] [--keep]      (root: FUSE and drop_caches; after
                                                         mvn -B -q -pl fuse-mount -am package -DskipTests)

One mount on an embedded S3 server (--embedded-s3, its own process, so its CPU is not counted), in a fresh
directory under $BENCH_DIR or /var/tmp. Phases, each reporting the mount's user+system CPU seconds (from
/proc/PID/stat) and wall-clock MB/s:
  write-paused  dd bs=1M conv=fsync with the S3 server stopped (SIGSTOP): the FUSE + write-log path, with the
                shipper blocked on its first PUTs
  ship          the S3 server resumed until the write-log is drained: chunking, compression, hashing, PUTs
  warm-paused   dd of another file with the S3 server stopped again: the FUSE + write-log path with a warm JIT
  write         dd again (a second file) with shipping running, until drained: what bench/run.sh's seq measures
  dd            dd of another file with shipping running, timed to the end of the dd only (then drained, untimed):
                what it/bench-dd.sh measures, here with a warm JIT
  cold-read     unmount, remount with an empty cache directory, drop the page cache, cat the first file
With --jfr DIR, each mount runs with a JFR profile recording dumped to DIR at unmount.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERBOSE = False
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15 of proc(5))


def thread_cpu(pid):
    """CPU seconds (user, system) per thread name (digits folded) of the live threads of pid."""
    out = {}
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                raw = f.read()
        except OSError:
            continue
        name = re.sub(r"[0-9]+", "N", raw[raw.index("(") + 1:raw.rindex(")")])
        fields = raw.rsplit(")", 1)[1].split()
        u, s = out.get((name, t), (0, 0))
        out[(name, t)] = (u + int(fields[11]) / TICKS, s + int(fields[12]) / TICKS)
    return out


def process_split(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def s3_server(pid):
    """The S3Proxy JVM below the mount (it is started through a small sh wrapper: stopping that would not stop it)."""
    todo = children(pid)
    while todo:
        p = todo.pop()
        try:
            comm = open("/proc/%d/comm" % p).read().strip()
            cmdline = open("/proc/%d/cmdline" % p).read()
        except OSError:
            continue
        if comm == "java" and "s3proxy" in cmdline:
            return p
        todo.extend(children(p))
    raise RuntimeError("no S3Proxy process below the mount %d" % pid)


def is_mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


class Mount:
    def __init__(self, work, jfr, gen):
        self.mnt = os.path.join(work, "mnt")
        os.makedirs(self.mnt, exist_ok=True)
        env = dict(os.environ)
        opts = os.environ.get("CPU_JAVA_OPTS", "-Xmx448m -XX:MaxDirectMemorySize=64m")
        if jfr:
            opts += " -XX:StartFlightRecording=settings=profile,filename=%s/mount%d.jfr,dumponexit=true" % (jfr, gen)
        env["PACSFS_JAVA_OPTS"] = opts
        cmd = [os.path.join(ROOT, "bin", "pacsfs"), "mount", "--embedded-s3", os.path.join(work, "s3"), "--create",
               "--cache-dir", os.path.join(work, "cache%d" % gen), "-f", self.mnt]
        self.log = open(os.path.join(work, "mount%d.log" % gen), "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        end = time.time() + 180
        while not is_mounted(self.mnt):
            if self.proc.poll() is not None or time.time() > end:
                raise RuntimeError("the mount did not come up; see %s" % self.log.name)
            time.sleep(0.1)
        self.pid = self.proc.pid  # bin/pacsfs execs java
        self.s3pid = s3_server(self.pid)

    def cpu(self):
        return cpu_seconds(self.pid)

    def unshipped(self):
        return json.loads(os.getxattr(self.mnt, "user.pacsfs.status").decode())["unshippedRecords"]

    def drain(self):
        end = time.time() + 900
        while self.unshipped() > 0:
            if time.time() > end:
                raise RuntimeError("not drained in 900 s")
            time.sleep(0.05)

    def unmount(self):
        subprocess.run(["fusermount", "-u", self.mnt], check=True)
        self.proc.wait(timeout=900)


RANDOM = None


def dd(path, mib):
    if RANDOM is not None:
        # incompressible data (like compressed DICOM pixel data): 1 MiB writes from a 64 MiB random block, then fsync
        with open(path, "wb", buffering=0) as f:
            for i in range(mib):
                j = i % 64
                f.write(RANDOM[j * 1048576:(j + 1) * 1048576])
            os.fsync(f.fileno())
        return
    subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M", "count=%d" % mib, "conv=fsync", "status=none"], check=True)


def phase(name, m, mib, action):
    c0, t0, th0, sp0 = m.cpu(), time.time(), thread_cpu(m.pid), process_split(m.pid)
    action()
    c1, t1, th1, sp1 = m.cpu(), time.time(), thread_cpu(m.pid), process_split(m.pid)
    gib = mib / 1024
    print("%-13s %6.1f CPU-s/GiB  %7.1f MB/s  (%.1f CPU-s, %.1f s, load %s)" % (
        name, (c1 - c0) / gib, mib * 1048576 / 1e6 / (t1 - t0), c1 - c0, t1 - t0,
        open("/proc/loadavg").read().split()[0]), flush=True)
    if VERBOSE:
        by = {}
        for k, (u, s) in th1.items():
            u0, s0 = th0.get(k, (0, 0))
            bu, bs = by.get(k[0], (0, 0))
            by[k[0]] = (bu + u - u0, bs + s - s0)
        seen = sum(u + s for u, s in by.values())
        print("    user %.1f system %.1f; per live thread (user/system): %s; exited threads %.1f" % (
            sp1[0] - sp0[0], sp1[1] - sp0[1],
            ", ".join("%s %.1f/%.1f" % (k, u, s) for k, (u, s) in sorted(by.items(), key=lambda x: -sum(x[1]))
                      if u + s >= 0.1), c1 - c0 - seen), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--jfr", help="directory for JFR recordings (settings=profile) of each mount")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--phases", default="write-paused,ship,write,cold-read")
    ap.add_argument("-v", "--verbose", action="store_true", help="CPU per thread name in each phase")
    ap.add_argument("--random", action="store_true", help="write incompressible data instead of zeros")
    a = ap.parse_args()
    global RANDOM
    if a.random:
        RANDOM = memoryview(os.urandom(64 * 1048576))
    global VERBOSE
    VERBOSE = a.verbose
    phases = a.phases.split(",")
    work = tempfile.mkdtemp(prefix="pacsfs-cpu-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    m = None
    try:
        print("work %s, %d MiB, %s" % (work, a.size_mib, subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()))
        m = Mount(work, a.jfr, 0)
        if VERBOSE:
            print("mount pid %d, S3 server pid %d" % (m.pid, m.s3pid))
        first = os.path.join(m.mnt, "f0")
        if "write-paused" in phases:
            os.kill(m.s3pid, signal.SIGSTOP)
            try:
                phase("write-paused", m, a.size_mib, lambda: dd(first, a.size_mib))
            finally:
                os.kill(m.s3pid, signal.SIGCONT)
            if "ship" in phases:
                phase("ship", m, a.size_mib, m.drain)
        for i, p in enumerate(phases):
            if p != "warm-paused":
                continue
            os.kill(m.s3pid, signal.SIGSTOP)
            try:
                phase("warm-paused", m, a.size_mib, lambda: dd(os.path.join(m.mnt, "f2-%d" % i), a.size_mib))
            finally:
                os.kill(m.s3pid, signal.SIGCONT)
            if "no-drain" not in phases:
                m.drain()
        if "dd" in phases:
            phase("dd", m, a.size_mib, lambda: dd(os.path.join(m.mnt, "f3"), a.size_mib))
            m.drain()
        if "write" in phases:
            phase("write", m, a.size_mib, lambda: (dd(os.path.join(m.mnt, "f1"), a.size_mib), m.drain()))
            first = os.path.join(m.mnt, "f1") if "write-paused" not in phases else first
        if "cold-read" in phases:
            m.drain()
            m.unmount()
            m = Mount(work, a.jfr, 1)
            subprocess.run(["sync"])
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")
            phase("cold-read", m, a.size_mib, lambda: subprocess.run(["cat", first], stdout=subprocess.DEVNULL, check=True))
        m.drain()
        m.unmount()
        m = None
    finally:
        if m is not None:
            try:
                os.kill(m.s3pid, signal.SIGCONT)
            except OSError:
                pass
            subprocess.run(["fusermount", "-u", m.mnt])
            try:
                m.proc.wait(timeout=300)
            except subprocess.TimeoutExpired:
                m.proc.kill()
                subprocess.run(["fusermount", "-uz", m.mnt])
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
