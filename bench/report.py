"""Writes the benchmark's results: results.md (tables, ratios, targets met / not met), results.csv, results.json."""
import csv
import json
import os
import platform
import subprocess

MIB = 1 << 20

# workload -> (metric key, label, higher is better)
METRIC = {
    "append-close": ("MBps", "MB/s appended", True),
    "append-close-pause": ("MBps", "MB/s appended (pauses excluded)", True),
    "dicom-series": ("ops_per_s", "files/s", True),
    "dicom-series-fsync": ("ops_per_s", "files/s", True),
    "dicom-series-fsync-compressible": ("ops_per_s", "files/s", True),
    "seq-write-1MiB-fdatasync": ("MBps", "MB/s", True),
    "seq-read-warm": ("MBps", "MB/s", True),
    "seq-read-cold": ("MBps", "MB/s", True),
    "append-4KiB-fsync": ("ops_per_s", "ops/s", True),
    "meta-create": ("ops_per_s", "ops/s", True),
    "meta-stat": ("ops_per_s", "ops/s", True),
    "meta-readdir": ("ops_per_s", "dirs/s", True),
    "meta-unlink": ("ops_per_s", "ops/s", True),
    "meta-rename-dir": ("wall_ms", "ms", False),
    "dcmtk-storescp": ("ops_per_s", "instances/s", True),
    "fio-seqwrite": ("fio_MBps", "MB/s", True),
    "fio-seqread": ("fio_MBps", "MB/s", True),
    "fio-randwrite": ("fio_iops", "IOPS", True),
    "fio-randread": ("fio_iops", "IOPS", True),
}
ORDER = list(METRIC)
SYSTEMS = ["pacsfs-local", "pacsfs-remote", "s3fs", "rclone", "local"]


def fmt(v, digits=None):
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if digits is not None:
            return "%.*f" % (digits, v)
        a = abs(v)
        return "%.0f" % v if a >= 100 else "%.1f" % v if a >= 10 else "%.2f" % v if a >= 0.1 else "%.3f" % v
    return str(v)


def metric(row):
    key = METRIC[row["workload"]][0]
    if key == "wall_ms":
        return row["wall"] * 1000 if row.get("wall") is not None and not row.get("error") else None
    return row.get(key) if not row.get("error") else None


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = "%.0f GiB" % (int(line.split()[1]) / 1024 / 1024)
    disk = subprocess.run(["df", "-hT", "/var/tmp"], capture_output=True, text=True).stdout.strip().splitlines()[-1]
    ver = lambda cmd: (subprocess.run(cmd, capture_output=True, text=True).stdout or "").strip().splitlines()[:1]
    return {
        "cpu": "%s, %d cores" % (cpu, os.cpu_count()), "memory": mem, "disk (work dir)": disk,
        "kernel": platform.release(), "os": _os_release(),
        "java": (subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines() or [""])[0],
        "s3fs": " ".join(ver(["s3fs", "--version"])), "rclone": " ".join(ver(["rclone", "version"])),
        "fio": " ".join(ver(["fio", "--version"])), "dcmtk": " ".join(ver(["storescp", "--version"])),
        "S3 server": "S3Proxy 4.1.0 (filesystem-nio2 backend) on the same machine, one process for all buckets",
    }


def _os_release():
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME"):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""


def find(rows, system, workload):
    for r in rows:
        if r["system"] == system and r["workload"] == workload:
            return r
    return None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def targets(rows):
    """The issue's targets: (target, measured, met) lines. pacsfs-local is the default mode and the one compared."""
    out = []
    g = lambda s, w: find(rows, s, w)
    m = lambda s, w: metric(g(s, w)) if g(s, w) else None

    def add(text, measured, ok):
        out.append((text, measured, "met" if ok else ("not met" if ok is False else "not measured")))

    for mode in ("pacsfs-local", "pacsfs-remote"):
        r = ratio(m(mode, "append-close"), m("s3fs", "append-close"))
        add("Append-close (%s): >= 20x s3fs throughput" % mode, fmt(r) + "x", None if r is None else r >= 20)
        for w in ("append-close", "append-close-pause"):
            row = g(mode, w)
            amp = ratio(row["s3_bytes_up"], row["bytes"]) if row and not row.get("error") else None
            add("%s (%s): upload bytes <= 1.1x bytes appended" % (w, mode), fmt(amp) + "x", None if amp is None else amp <= 1.1)
    r = ratio(m("pacsfs-local", "dicom-series-fsync"), m("s3fs", "dicom-series-fsync"))
    add("DICOM series + fsync (local mode): >= 10x s3fs files/s", fmt(r) + "x", None if r is None else r >= 10)
    row = g("pacsfs-local", "dicom-series-fsync")
    ppf = ratio(row["s3_PUT"], row["files"]) if row and row.get("files") else None
    add("DICOM series + fsync (local mode): <= 0.25 PUT per file", fmt(ppf), None if ppf is None else ppf <= 0.25)
    r = ratio(m("pacsfs-remote", "dicom-series-fsync"), m("s3fs", "dicom-series-fsync"))
    add("DICOM series + fsync (remote mode): faster than s3fs (by how much)", fmt(r) + "x", None if r is None else r > 1)
    for mode in ("pacsfs-local", "pacsfs-remote"):
        r = ratio(m(mode, "seq-write-1MiB-fdatasync"), m("local", "seq-write-1MiB-fdatasync"))
        add("Sequential write, conv=fdatasync (%s): >= 0.5x local disk" % mode, fmt(r) + "x", None if r is None else r >= 0.5)
    r = ratio(m("pacsfs-local", "seq-read-cold"), m("s3fs", "seq-read-cold"))
    add("Cold sequential read: >= 2x s3fs", fmt(r) + "x", None if r is None else r >= 2)
    for mode in ("pacsfs-local", "pacsfs-remote"):
        a, b = g(mode, "append-4KiB-fsync"), g("local", "append-4KiB-fsync")
        r = ratio(a.get("p99_ms"), b.get("p99_ms")) if a and b else None
        add("Append + fsync p99 (%s): <= 3x local disk's p99" % mode, fmt(r) + "x (%s vs %s ms)" % (
            fmt(a.get("p99_ms") if a else None), fmt(b.get("p99_ms") if b else None)), None if r is None else r <= 3)
    for ph in ("create", "stat", "readdir", "unlink"):
        r = ratio(m("pacsfs-local", "meta-" + ph), m("s3fs", "meta-" + ph))
        add("Metadata %s: >= 10x s3fs" % ph, fmt(r) + "x", None if r is None else r >= 10)
    for mode in ("pacsfs-local", "pacsfs-remote"):
        row = g(mode, "meta-rename-dir")
        req = row["s3_requests"] if row and not row.get("error") else None
        add("Directory rename (%s): O(1) S3 requests (counted to the drain; met if < 20 for %s files)" % (
            mode, row.get("note", "").split()[-2] if row else "?"), fmt(req), None if req is None else req < 20)
    for mode in ("pacsfs-local", "pacsfs-remote"):
        peak = rss = used = live = None
        for r in rows:
            if r["system"] == mode and r.get("heap_committed") is not None:
                v = r["heap_committed"] + r.get("direct_committed", 0)
                peak = v if peak is None else max(peak, v)
                rss = max(rss or 0, r.get("rss_peak") or 0)
                used = max(used or 0, (r.get("heap_used") or 0) + r.get("direct_committed", 0))
                if r.get("heap_live") is not None:
                    live = max(live or 0, r["heap_live"] + r.get("direct_committed", 0))
        add("Heap + direct memory (%s; NMT committed Java Heap + Other) <= 512 MiB, default settings" % mode,
            "%s MiB committed (used before GC at most %s MiB, live after a full GC at most %s MiB; peak RSS %s MiB)" % (
                fmt(peak / MIB if peak else None), fmt(used / MIB if used else None), fmt(live / MIB if live else None),
                fmt(rss / MIB if rss else None)),
            None if peak is None else peak <= 512 * MIB)
    return out


def write(bench):
    rows = bench.rows
    out = bench.out
    keys = ["workload", "system", "note", "ops", "bytes", "wall", "busy", "drain", "MBps", "ops_per_s", "p50_ms",
            "p99_ms", "fio_MBps", "fio_iops", "s3_requests", "s3_PUT", "s3_POST", "s3_GET", "s3_HEAD", "s3_DELETE",
            "s3_bytes_up", "s3_bytes_down", "mount_cpu_s", "rss_peak", "rss", "heap_committed", "heap_used", "heap_live", "direct_committed",
            "nmt_committed", "capped", "verified", "error"]
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in sorted(rows, key=lambda r: (ORDER.index(r["workload"]), r["system"])):
            w.writerow(r)
    mach = machine()
    tg = targets(rows)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"rows": rows, "systems": bench.systems_meta, "machine": mach, "targets": tg,
                   "started": bench.started, "finished": bench.finished, "command": bench.args.command}, f, indent=1,
                  default=str)
    L = []
    L.append("# pacsfs benchmark results (%s mode)" % ("quick" if bench.args.quick else "full"))
    L.append("")
    L.append("Run %s to %s; command: `%s`. Load average at start %s, at end %s. Added S3 latency per request: %s ms." % (
        bench.started, bench.finished, bench.args.command, bench.load_start, bench.load_end,
        getattr(bench, "s3env", {}).get("S3_LATENCY_MS", "0")))
    L.append("")
    L.append("## Machine")
    L.append("")
    for k, v in mach.items():
        L.append("- %s: %s" % (k, v))
    L.append("")
    L.append("## Systems and their options")
    L.append("")
    L.append("| system | options | run (UTC) | load average start -> end | unmount s |")
    L.append("|---|---|---|---|---|")
    for s in bench.args.systems:
        mt = bench.systems_meta.get(s, {})
        L.append("| %s | %s | %s-%s | %s -> %s | %s |" % (s, mt.get("options", ""), mt.get("start", ""), mt.get("end", ""),
                                                       mt.get("load_start", ""), mt.get("load_end", ""),
                                                       fmt(mt.get("unmount_s")) + (" ERROR " + mt["error"] if mt.get("error") else "")))
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for t, meas, ok in tg:
        L.append("| %s | %s | **%s** |" % (t, meas, ok))
    L.append("")
    present = [s for s in SYSTEMS if s in bench.args.systems]
    L.append("## Headline metric per workload, with ratios")
    L.append("")
    L.append("pl = pacsfs durability `local` (fsync = in the local write-log; compare with s3fs/rclone, which make no "
             "promise at fsync beyond their local cache and upload at close or later), pr = durability `remote` "
             "(fsync returns once the data is in S3; compare with s3fs, which also uploads at flush/close). "
             "Ratios > 1 mean pacsfs is better (for times: the other system's time / pacsfs's).")
    L.append("")
    head = ["workload", "metric"] + present
    rat = []
    for p in ("pacsfs-local", "pacsfs-remote"):
        if p in present:
            for o in ("s3fs", "rclone", "local"):
                if o in present:
                    rat.append((p, o))
    L.append("| " + " | ".join(head + ["%s/%s" % ("pl" if p == "pacsfs-local" else "pr", o) for p, o in rat]) + " |")
    L.append("|" + "---|" * (len(head) + len(rat)))
    for w in ORDER:
        if not any(r["workload"] == w for r in rows):
            continue
        key, label, higher = METRIC[w]
        cells = [w, label]
        vals = {}
        for s in present:
            r = find(rows, s, w)
            v = metric(r) if r else None
            vals[s] = v
            c = fmt(v)
            if r and r.get("error"):
                c = "error"
            elif r and r.get("capped"):
                c += " (capped)"
            cells.append(c)
        for p, o in rat:
            rr = ratio(vals[p], vals[o]) if higher else ratio(vals[o], vals[p])
            cells.append(fmt(rr))
        L.append("| " + " | ".join(cells) + " |")
    L.append("")
    L.append("## All measurements")
    L.append("")
    L.append("wall = until the last close (or fsync) returned; drain = from then until everything was in S3 (pacsfs: "
             "`unshippedRecords` 0 in `pacsfs status`; rclone: `vfs/stats` upload queue empty; s3fs uploads at "
             "close, so 0); S3 = requests and bytes through the counting proxy in front of that system's bucket, "
             "from the workload's start to its drain; amp = bytes sent to S3 / bytes written; mount CPU = user + system CPU seconds of the mount process from the workload's start to its drain; RSS = VmHWM of the "
             "mount process during the workload (reset before it); heap+direct = NMT committed Java Heap + Other "
             "(direct buffers) after the workload.")
    L.append("")
    L.append("| workload | system | work | wall s | drain s | MB/s | ops/s | p50 / p99 ms | S3 req | PUT | GET | bytes up MB | amp | PUT/file | mount CPU s | RSS MiB | heap+direct MiB | verified |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (ORDER.index(r["workload"]), SYSTEMS.index(r["system"]))):
        amp = ratio(r.get("s3_bytes_up"), r.get("bytes")) if r.get("bytes") and r["system"] != "local" else None
        ppf = ratio(r.get("s3_PUT"), r.get("files")) if r.get("files") and r["system"] != "local" else None
        hd = (r["heap_committed"] + r.get("direct_committed", 0)) / MIB if r.get("heap_committed") else None
        lat = "%s / %s" % (fmt(r["p50_ms"]), fmt(r["p99_ms"])) if r.get("p50_ms") is not None else "—"
        mbps = r.get("fio_MBps", r.get("MBps"))
        ops = r.get("fio_iops", r.get("ops_per_s"))
        ver = "ERROR: " + r["error"] if r.get("error") else fmt(r.get("verified"))
        L.append("| %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["workload"], r["system"], r.get("note", ""), " **(capped at %d s)**" % bench.sizes["cap"] if r.get("capped") else "",
            fmt(r.get("wall")), fmt(r.get("drain")), fmt(mbps), fmt(ops), lat, r.get("s3_requests", ""), r.get("s3_PUT", ""),
            r.get("s3_GET", ""), fmt(r.get("s3_bytes_up", 0) / 1e6), fmt(amp), fmt(ppf), fmt(r.get("mount_cpu_s")),
            fmt(r["rss_peak"] / MIB if r.get("rss_peak") else None), fmt(hd), ver))
    L.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    print("\n".join(L))
