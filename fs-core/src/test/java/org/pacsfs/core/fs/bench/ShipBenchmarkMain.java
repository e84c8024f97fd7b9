package org.pacsfs.core.fs.bench;

import org.pacsfs.core.store.ForwardingObjectStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.fs.ShipConfig;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.core.store.embedded.S3ProxyProcess;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.core.store.s3.S3ObjectStore;

/**
 * Shipping the write-log to S3 (issue 5, "Speed"), end to end against one S3Proxy process started by this run. Not a
 * JMH benchmark: each case is one timed run of a whole workload (warm-up, then {@code ship.reps} repetitions; median
 * and min/max are printed). Usage: {@code fs-core/bench-ship.sh} (see fs-core/BENCHMARKS.md).
 *
 * <ol>
 *   <li>anchor: raw parallel PUT (If-None-Match, unique keys) of 4 MiB incompressible objects by the same
 *       {@link S3ObjectStore}, {@code uploadParallelism} threads (8);</li>
 *   <li>shipping: a {@link LocalFileSystem} on that bucket, one file of {@code ship.seqMiB} MiB of incompressible data
 *       written in 1 MiB writes, timed from the first write until {@code flushToBucket} returns; anchor and shipping
 *       repetitions alternate so that load changes on the machine hit both;</li>
 *   <li>amplification (all bytes PUT to the bucket after mount, segments and lease renewals included, / bytes
 *       appended): a file grown by 1 MiB appends (open O_APPEND, write, close; paced so that several batches ship),
 *       and a file grown by 4 KiB appends each followed by fsync (durability LOCAL, default ShipConfig).</li>
 * </ol>
 *
 * <p>System properties: {@code ship.seqMiB} (1024), {@code ship.anchorMiB} (= seqMiB), {@code ship.reps} (3),
 * {@code ship.appendMiB} (64), {@code ship.appendPauseMs} (100), {@code ship.smallSeconds} (25), {@code ship.dir}
 * (target/ship-bench), {@code ship.sample} (false; true: sample the flusher and upload threads' stacks every 10 ms during
 * the shipping case and print where they spend their time), {@code ship.cases} (all: anchor,seq,append1m,append4k),
 * {@code ship.variants} (none; comma-separated shipping variants against the anchor: p16, seg256, seg256p16, deferred,
 * ckpt1s = a checkpoint due every second during the run, to measure what checkpoints under load cost, nice0 = shipping
 * threads at normal priority like the anchor's),
 * {@code pacsfs.s3proxy.jar}.
 */
public final class ShipBenchmarkMain {
    static final int MIB = 1 << 20;
    static final int W = OpenFlags.O_RDWR | OpenFlags.O_CREAT;

    final Path dir;
    final int reps;
    final S3ObjectStore store;
    final CountingStore counting;
    final byte[] pool;
    final int parallelism = ShipConfig.defaults().uploadParallelism();
    final boolean sample;
    final long serverPid;
    int runNo;

    ShipBenchmarkMain(Path dir, int reps, S3ObjectStore store, boolean sample, long serverPid) {
        this.serverPid = serverPid;
        this.dir = dir;
        this.reps = reps;
        this.store = store;
        this.counting = new CountingStore(store);
        this.sample = sample;
        this.pool = new byte[64 * MIB];
        new Random(42).nextBytes(pool); // incompressible, and no 4 MiB piece repeats within 64 MiB
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("ship.dir", "target/ship-bench")).toAbsolutePath();
        int seqMiB = Integer.getInteger("ship.seqMiB", 1024);
        int anchorMiB = Integer.getInteger("ship.anchorMiB", seqMiB);
        int reps = Integer.getInteger("ship.reps", 3);
        int appendMiB = Integer.getInteger("ship.appendMiB", 64);
        int appendPauseMs = Integer.getInteger("ship.appendPauseMs", 100);
        int smallSeconds = Integer.getInteger("ship.smallSeconds", 25);
        boolean sample = Boolean.parseBoolean(System.getProperty("ship.sample", "false"));
        String cases = System.getProperty("ship.cases", "anchor,seq,append1m,append4k");
        Path jar = Path.of(System.getProperty("pacsfs.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
        Files.createDirectories(dir);
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < 4L * seqMiB * MIB) {
            System.out.printf("only %d MiB free in %s: shipping 512 MiB instead of %d MiB%n", free >> 20, dir, seqMiB);
            seqMiB = Math.min(seqMiB, 512);
            anchorMiB = Math.min(anchorMiB, 512);
        }
        System.out.printf("ShipBenchmarkMain: %s, %d cores, Java %s; load average at start: %s%n", dir,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadAverage());
        try (S3ProxyProcess server = S3ProxyProcess.builder(jar).start()) {
            server.createBucket("ship-bench");
            S3Config config = server.configFor("ship-bench").maxConnections(2 * ShipConfig.defaults().uploadParallelism()).build();
            System.out.printf("S3Proxy %s (pid %d, data in %s); client %s%n", server.endpoint(), server.pid(),
                    server.dataDirectory(), config);
            try (S3ObjectStore store = S3ObjectStore.open(config)) {
                new ShipBenchmarkMain(dir, reps, store, sample, server.pid()).run(cases, seqMiB, anchorMiB, appendMiB, appendPauseMs, smallSeconds);
            }
        }
    }

    void run(String cases, int seqMiB, int anchorMiB, int appendMiB, int appendPauseMs, int smallSeconds) throws Exception {
        List<Double> anchor = new ArrayList<>();
        List<Double> ship = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> amp1m = new ArrayList<>();
        List<Double> amp4k = new ArrayList<>();
        boolean doAnchor = cases.contains("anchor");
        boolean doSeq = cases.contains("seq");
        Sampler sampler = new Sampler();
        if (doAnchor || doSeq) {
            System.out.printf("%n== (1) anchor: %d MiB as 4 MiB PUTs, %d threads; (2) shipping: %d MiB in 1 MiB writes ==%n",
                    anchorMiB, parallelism, seqMiB);
            if (doAnchor) {
                System.out.printf("warm-up anchor: %.0f MB/s%n", anchor(Math.min(anchorMiB, 256)));
            }
            if (doSeq) {
                System.out.printf("warm-up shipping: %s%n", sequential(Math.min(seqMiB, 256), null));
            }
            for (int r = 1; r <= reps; r++) {
                double a = doAnchor ? anchor(anchorMiB) : Double.NaN;
                if (doAnchor) {
                    anchor.add(a);
                    System.out.printf("rep %d anchor: %.0f MB/s; CPU s/GB: %s%n", r, a, lastAnchorCpu);
                }
                if (doSeq) {
                    SeqResult s = sequential(seqMiB, sample ? sampler : null);
                    ship.add(s.mbps);
                    ratios.add(s.mbps / a);
                    System.out.printf("rep %d shipping: %s%n", r, s);
                }
            }
            if (sample && doSeq) {
                sampler.print();
            }
        }
        String variants = System.getProperty("ship.variants", "");
        for (String v : variants.isEmpty() ? new String[0] : variants.split(",")) {
            ShipConfig d = ShipConfig.defaults();
            ShipConfig c = switch (v) {
                case "p16" -> with(d, Map.of("uploadParallelism", 16));
                case "seg256" -> with(d, Map.of("maxSegmentBytes", 256L << 20));
                case "seg256p16" -> with(d, Map.of("maxSegmentBytes", 256L << 20, "uploadParallelism", 16));
                case "deferred" -> with(d, Map.of("batchBytes", 1L << 30, "flushDelay", Duration.ofMinutes(10)));
                // checkpoints under load: one due every second while the file is written and shipped
                case "ckpt1s" -> with(d, Map.of("checkpointInterval", Duration.ofSeconds(1)));
                // shipping threads at the anchor's priority (the default runs them at nice 10: --background-nice)
                case "nice0" -> d.withBackgroundNice(0);
                default -> throw new IllegalArgumentException("unknown variant " + v + " (p16, seg256, seg256p16, deferred, ckpt1s, nice0)");
            };
            System.out.printf("%n== variant %s: %s ==%n", v, c);
            Sampler vs = new Sampler();
            for (int r = 1; r <= reps; r++) {
                double a = anchor(anchorMiB, c.uploadParallelism());
                SeqResult res = sequential(seqMiB, sample ? vs : null, c);
                System.out.printf("rep %d anchor (%d threads) %.0f MB/s; %s: %s; ratio %.2f%s%n",
                        r, c.uploadParallelism(), a, v, res, res.mbps / a, !v.equals("deferred") ? "" : String.format(
                                "; shipping alone (flushToBucket after the last write) %.0f MB/s, ratio %.2f",
                                (double) seqMiB * MIB / res.flushSeconds / 1e6, (double) seqMiB * MIB / res.flushSeconds / 1e6 / a));
            }
            if (sample) {
                vs.print();
            }
        }
        if (cases.contains("append1m")) {
            System.out.printf("%n== (3a) %d MiB of 1 MiB appends (open O_APPEND, write, close), %d ms apart ==%n", appendMiB,
                    appendPauseMs);
            for (int r = 1; r <= reps; r++) {
                AmpResult a = appends(MIB, appendMiB * (long) MIB, 0, appendPauseMs, false);
                amp1m.add(a.amplification());
                System.out.printf("rep %d: %s%n", r, a);
            }
        }
        if (cases.contains("append4k")) {
            System.out.printf("%n== (3b) 4 KiB appends each followed by fsync, %d s (durability LOCAL) ==%n", smallSeconds);
            for (int r = 1; r <= reps; r++) {
                AmpResult a = appends(4096, Long.MAX_VALUE, smallSeconds * 1_000_000_000L, 0, true);
                amp4k.add(a.amplification());
                System.out.printf("rep %d: %s%n", r, a);
            }
        }
        System.out.printf("%nload average at end: %s%n%n", loadAverage());
        System.out.println("| case | median | min | max | target | met |");
        System.out.println("|---|---|---|---|---|---|");
        row("(1) anchor: raw parallel PUT, 4 MiB objects, " + parallelism + " threads (MB/s)", anchor, "", null);
        row("(2) shipping, sequential 1 MiB writes, first write to flushToBucket (MB/s)", ship, "", null);
        row("(2)/(1) ratio (per repetition)", ratios, ">= 0.80", v -> v >= 0.80);
        row("(3a) amplification, 1 MiB appends", amp1m, "<= 1.1", v -> v <= 1.1);
        row("(3b) amplification, 4 KiB appends + fsync", amp4k, "<= 2.0", v -> v <= 2.0);
        if (!anchor.isEmpty() && !ship.isEmpty()) {
            System.out.printf("%nratio of medians: %.2f%n", median(ship) / median(anchor));
        }
    }

    // ------------------------------------------------------------------ (1) anchor

    /** MB/s (10^6 bytes/s) of {@code mib} MiB PUT as 4 MiB objects by {@link #parallelism} threads. */
    double anchor(int mib) throws Exception {
        return anchor(mib, parallelism);
    }

    double anchor(int mib, int parallelism) throws Exception {
        Cpu cpu0 = cpu();
        String prefix = "anchor-" + (++runNo) + "/";
        int objects = mib / 4;
        AtomicInteger next = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(parallelism);
        try {
            long start = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < parallelism; t++) {
                fs.add(threads.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < objects; ) {
                        int off = (i % (pool.length / (4 * MIB))) * 4 * MIB;
                        store.put(prefix + "o" + i, ByteBuffer.wrap(pool, off, 4 * MIB), PutCondition.ifNoneMatch());
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            lastAnchorCpu = cpu().minus(cpu0).perGB(objects * 4.0 * MIB);
            return objects * 4.0 * MIB / seconds / 1e6;
        } finally {
            threads.shutdown();
            deletePrefix(prefix);
        }
    }

    // ------------------------------------------------------------------ (2) shipping of sequential data

    record SeqResult(double mbps, double writeMbps, double seconds, long puts, long segments, double chunkPutConcurrency,
                     double chunkPutMs, double segmentPutMs, double flushSeconds, Cpu cpuPerGB, String threadCpuPerGB,
                     long checkpoints, long checkpointsUnderLoad, double checkpointPauseMaxMs) {
        @Override
        public String toString() {
            return String.format("%.0f MB/s end to end (%.1f s, of which %.1f s after the last write; local writes alone %.0f MB/s); "
                            + "%d PUTs, %d segments; mean chunk PUTs in flight %.1f, mean chunk PUT %.0f ms, mean segment PUT %.0f ms;"
                            + " CPU s/GB: %s; by thread: %s%s",
                    mbps, seconds, flushSeconds, writeMbps, puts, segments, chunkPutConcurrency, chunkPutMs, segmentPutMs,
                    cpuPerGB, threadCpuPerGB, checkpoints == 0 ? "" : String.format(
                            "; %d checkpoints during the run (%d captured while writes waited to be shipped), writers held back at most %.1f ms",
                            checkpoints, checkpointsUnderLoad, checkpointPauseMaxMs));
        }
    }

    SeqResult sequential(int mib, Sampler sampler) throws Exception {
        return sequential(mib, sampler, ShipConfig.defaults());
    }

    SeqResult sequential(int mib, Sampler sampler, ShipConfig ship) throws Exception {
        Run run = openRun(ship);
        try {
            Map<String, Long> threads0 = threadCpu();
            long gc0 = gcMillis();
            Cpu cpu0 = cpu();
            LocalFileSystem fs = run.fs;
            Counts before = counting.snapshot();
            long seqBefore = fs.shipStatus().headSeq();
            if (sampler != null) {
                sampler.start();
            }
            LocalFileSystem.ShipStatus st0 = fs.shipStatus();
            long start = System.nanoTime();
            long fh = fs.create("/seq", 0644, W, Caller.ROOT);
            long size = (long) mib * MIB;
            for (long off = 0; off < size; off += MIB) {
                int p = (int) (off % pool.length);
                fs.write(fh, off, ByteBuffer.wrap(pool, p, MIB));
            }
            fs.release(fh);
            long written = System.nanoTime();
            fs.flushToBucket(Duration.ofMinutes(30));
            long end = System.nanoTime();
            if (sampler != null) {
                sampler.stop();
            }
            Cpu cpu = cpu().minus(cpu0).perGB(size);
            long gc = gcMillis() - gc0;
            Map<String, Long> threads1 = threadCpu();
            StringBuilder byThread = new StringBuilder();
            for (Map.Entry<String, Long> e : threads1.entrySet()) {
                double v = (e.getValue() - threads0.getOrDefault(e.getKey(), 0L)) / 1e9 / (size / 1e9);
                if (v >= 0.05) {
                    byThread.append(byThread.length() == 0 ? "" : ", ").append(String.format("%s %.2f", e.getKey(), v));
                }
            }
            Counts d = counting.snapshot().minus(before);
            LocalFileSystem.ShipStatus st1 = fs.shipStatus();
            double seconds = (end - start) / 1e9;
            return new SeqResult(size / seconds / 1e6, size / ((written - start) / 1e9) / 1e6, seconds, d.puts,
                    fs.shipStatus().headSeq() - seqBefore, d.chunkPutNanos / 1e9 / seconds,
                    d.chunkPuts == 0 ? 0 : d.chunkPutNanos / 1e6 / d.chunkPuts,
                    d.segmentPuts == 0 ? 0 : d.segmentPutNanos / 1e6 / d.segmentPuts, (end - written) / 1e9, cpu,
                    byThread + String.format("; GC %.2f s/GB", gc / 1e3 / (size / 1e9)),
                    st1.checkpointsWritten() - st0.checkpointsWritten(),
                    st1.checkpointsCapturedUnshipped() - st0.checkpointsCapturedUnshipped(), st1.checkpointPauseMaxNanos() / 1e6);
        } finally {
            run.close();
        }
    }

    // ------------------------------------------------------------------ (3) amplification of appends

    record AmpResult(long appended, Counts put, long flusherBytes, long rewritten, long segments, double seconds) {
        double amplification() {
            return put.bytes / (double) appended;
        }

        @Override
        public String toString() {
            return String.format("amplification %.3f: %.1f MiB appended in %.1f s; PUT %.1f MiB in %d requests "
                            + "(chunks %.1f MiB in %d, segments %.2f MiB in %d, other %d B in %d); flusher's bytesUploaded %.3f x; "
                            + "tail rewrites %.2f MiB; %d segments",
                    amplification(), appended / (double) MIB, seconds, put.bytes / (double) MIB, put.puts,
                    put.chunkBytes / (double) MIB, put.chunkPuts, put.segmentBytes / (double) MIB, put.segmentPuts,
                    put.bytes - put.chunkBytes - put.segmentBytes, put.puts - put.chunkPuts - put.segmentPuts,
                    flusherBytes / (double) appended, rewritten / (double) MIB, segments);
        }
    }

    /** Appends {@code piece}-byte pieces until {@code total} bytes or {@code nanos} passed; then ships everything. */
    AmpResult appends(int piece, long total, long nanos, int pauseMs, boolean fsync) throws Exception {
        Run run = openRun(ShipConfig.defaults());
        try {
            LocalFileSystem fs = run.fs;
            fs.release(fs.create("/grow", 0644, W, Caller.ROOT));
            fs.flushToBucket(Duration.ofMinutes(1));
            Counts before = counting.snapshot();
            LocalFileSystem.ShipStatus s0 = fs.shipStatus();
            long start = System.nanoTime();
            long appended = 0;
            long fh = fsync ? fs.open("/grow", OpenFlags.O_WRONLY | OpenFlags.O_APPEND) : -1;
            while (appended < total && (nanos == 0 || System.nanoTime() - start < nanos)) {
                int p = (int) (appended % (pool.length - piece));
                if (fsync) {
                    fs.write(fh, 0, ByteBuffer.wrap(pool, p, piece));
                    fs.fsync(fh, false);
                } else {
                    long h = fs.open("/grow", OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
                    fs.write(h, 0, ByteBuffer.wrap(pool, p, piece));
                    fs.release(h);
                    if (pauseMs > 0) {
                        Thread.sleep(pauseMs);
                    }
                }
                appended += piece;
            }
            if (fsync) {
                fs.release(fh);
            }
            fs.flushToBucket(Duration.ofMinutes(10));
            double seconds = (System.nanoTime() - start) / 1e9;
            LocalFileSystem.ShipStatus s1 = fs.shipStatus();
            if (fs.getattr("/grow").size() != appended) {
                throw new IllegalStateException("file size " + fs.getattr("/grow").size() + " != appended " + appended);
            }
            return new AmpResult(appended, counting.snapshot().minus(before), s1.bytesUploaded() - s0.bytesUploaded(),
                    s1.rewrittenBytes() - s0.rewrittenBytes(), s1.headSeq() - s0.headSeq(), seconds);
        } finally {
            run.close();
        }
    }

    // ------------------------------------------------------------------ plumbing

    /** A fresh filesystem (state directory and bucket prefix of its own), deleted again by close. */
    final class Run implements AutoCloseable {
        final Path state;
        final String prefix;
        final LocalFileSystem fs;

        Run(ShipConfig ship) throws Exception {
            int n = ++runNo;
            state = dir.resolve("run-" + n);
            deleteTree(state);
            prefix = "fs-" + n + "/";
            fs = LocalFileSystem.open(FsConfig.defaults(state).withIndexSize(20_000, 200_000),
                    Remote.of(counting, prefix).withShip(ship));
        }

        @Override
        public void close() throws Exception {
            fs.close();
            deleteTree(state);
            deletePrefix(prefix);
        }
    }

    Run openRun(ShipConfig ship) throws Exception {
        return new Run(ship);
    }

    void deletePrefix(String prefix) {
        List<String> keys = store.listAll(prefix).map(ObjectInfo::key).collect(Collectors.toList());
        for (int i = 0; i < keys.size(); i += 1000) {
            store.deleteAll(keys.subList(i, Math.min(keys.size(), i + 1000)));
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    Cpu lastAnchorCpu;

    /** CPU seconds used by this JVM and by the S3Proxy process. */
    record Cpu(double self, double server) {
        Cpu minus(Cpu o) {
            return new Cpu(self - o.self, server - o.server);
        }

        Cpu perGB(double bytes) {
            return new Cpu(self / (bytes / 1e9), server / (bytes / 1e9));
        }

        @Override
        public String toString() {
            return String.format("bench JVM %.2f + S3Proxy %.2f = %.2f", self, server, self + server);
        }
    }

    Cpu cpu() {
        return cpu(serverPid);
    }

    /** CPU seconds used so far by this JVM and by process {@code serverPid} (NaN if it cannot be read). */
    static Cpu cpu(long serverPid) {
        double self = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
        double server = Double.NaN;
        try {
            String stat = Files.readString(Path.of("/proc/" + serverPid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            server = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in ticks (USER_HZ 100)
        } catch (IOException | RuntimeException e) {
            // leave NaN
        }
        return new Cpu(self, server);
    }

    /** CPU nanoseconds of live threads, summed by name (main = the writer). */
    static Map<String, Long> threadCpu() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> m = new java.util.TreeMap<>();
        for (long id : mx.getAllThreadIds()) {
            ThreadInfo ti = mx.getThreadInfo(id);
            long t = mx.getThreadCpuTime(id);
            if (ti != null && t > 0) {
                String name = ti.getThreadName().replaceAll("[-_ ]?\\d+$", "");
                m.merge(name, t, Long::sum);
            }
        }
        return m;
    }

    /** {@code base} with the named record components replaced (by reflection: survives new components). */
    static ShipConfig with(ShipConfig base, Map<String, Object> changes) throws ReflectiveOperationException {
        var components = ShipConfig.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = changes.containsKey(components[i].getName()) ? changes.get(components[i].getName())
                    : components[i].getAccessor().invoke(base);
        }
        return ShipConfig.class.getDeclaredConstructor(types).newInstance(values);
    }

    static long gcMillis() {
        long t = 0;
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, gc.getCollectionTime());
        }
        return t;
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static void row(String name, List<Double> v, String target, java.util.function.DoublePredicate met) {
        if (v.isEmpty()) {
            return;
        }
        double m = median(v);
        String fmt = m >= 10 ? "%.0f" : "%.3f";
        System.out.printf("| %s | " + fmt + " | " + fmt + " | " + fmt + " | %s | %s |%n", name, m,
                v.stream().mapToDouble(d -> d).min().orElseThrow(), v.stream().mapToDouble(d -> d).max().orElseThrow(),
                target, met == null ? "" : met.test(m) ? "**met**" : "**not met**");
    }

    /** Bytes and time of PUTs, by kind of key. */
    record Counts(long puts, long bytes, long chunkPuts, long chunkBytes, long chunkPutNanos, long segmentPuts,
                  long segmentBytes, long segmentPutNanos) {
        Counts minus(Counts o) {
            return new Counts(puts - o.puts, bytes - o.bytes, chunkPuts - o.chunkPuts, chunkBytes - o.chunkBytes,
                    chunkPutNanos - o.chunkPutNanos, segmentPuts - o.segmentPuts, segmentBytes - o.segmentBytes,
                    segmentPutNanos - o.segmentPutNanos);
        }
    }

    /** Counts every PUT (body bytes, duration) made through it; everything else is passed on. */
    static final class CountingStore extends ForwardingObjectStore {
        final ObjectStore inner;
        final AtomicLong puts = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong chunkPuts = new AtomicLong();
        final AtomicLong chunkBytes = new AtomicLong();
        final AtomicLong chunkNanos = new AtomicLong();
        final AtomicLong segmentPuts = new AtomicLong();
        final AtomicLong segmentBytes = new AtomicLong();
        final AtomicLong segmentNanos = new AtomicLong();

        CountingStore(ObjectStore inner) {
             super(inner);
            this.inner = inner;
        }

        Counts snapshot() {
            return new Counts(puts.get(), bytes.get(), chunkPuts.get(), chunkBytes.get(), chunkNanos.get(),
                    segmentPuts.get(), segmentBytes.get(), segmentNanos.get());
        }

        @Override
        public String put(String key, ByteBuffer body, PutCondition condition) {
            int n = body.remaining();
            long t = System.nanoTime();
            String etag = inner.put(key, body, condition);
            long dt = System.nanoTime() - t;
            puts.incrementAndGet();
            bytes.addAndGet(n);
            if (key.contains("/chunks/") || key.startsWith("chunks/")) {
                chunkPuts.incrementAndGet();
                chunkBytes.addAndGet(n);
                chunkNanos.addAndGet(dt);
            } else if (key.contains("/log/") || key.startsWith("log/")) {
                segmentPuts.incrementAndGet();
                segmentBytes.addAndGet(n);
                segmentNanos.addAndGet(dt);
            }
            return etag;
        }








        @Override
        public void close() {
            // the benchmark closes the inner store
        }
    }

    /**
     * A poor man's profiler: every 10 ms, the stacks of the flusher thread and the upload threads, each reduced to
     * "innermost pacsfs frame -> what it called" (or "idle"), counted.
     */
    static final class Sampler {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        final Map<String, AtomicLong> flusher = new ConcurrentHashMap<>();
        final Map<String, AtomicLong> upload = new ConcurrentHashMap<>();
        final AtomicLong samples = new AtomicLong();
        volatile Thread thread;

        void start() {
            Thread t = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    sampleOnce();
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "ship-bench-sampler");
            t.setDaemon(true);
            thread = t;
            t.start();
        }

        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join();
        }

        void sampleOnce() {
            samples.incrementAndGet();
            for (ThreadInfo ti : mx.dumpAllThreads(false, false)) {
                if (ti == null) {
                    continue;
                }
                String name = ti.getThreadName();
                if (name.equals("pacsfs-flusher")) {
                    count(flusher, label(ti, "Flusher"));
                } else if (name.equals("pacsfs-upload")) {
                    count(upload, label(ti, "pacsfs"));
                }
            }
        }

        static void count(Map<String, AtomicLong> m, String k) {
            m.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
        }

        /** "Innermost frame of a class containing {@code marker} -> callee [top frame]" or "idle". */
        static String label(ThreadInfo ti, String marker) {
            StackTraceElement[] st = ti.getStackTrace();
            for (int i = 0; i < st.length; i++) {
                if (st[i].getClassName().contains(marker)) {
                    String at = simple(st[i].getClassName()) + "." + st[i].getMethodName();
                    String callee = i > 0 ? simple(st[i - 1].getClassName()) + "." + st[i - 1].getMethodName() : "(self)";
                    String top = st.length > 0 ? simple(st[0].getClassName()) + "." + st[0].getMethodName() : "";
                    String domain = domain(st, i);
                    return at + " -> " + callee + (domain.isEmpty() ? "" : " {" + domain + "}")
                            + (i > 1 ? " [top: " + top + ", " + ti.getThreadState() + "]" : " [" + ti.getThreadState() + "]");
                }
            }
            return "idle (no pacsfs frame) [" + ti.getThreadState() + "]";
        }

        /** What the frames above {@code i} are doing, by package: zstd, SHA-256, CRC, HTTP, write-log. */
        static String domain(StackTraceElement[] st, int i) {
            for (int j = 0; j < i; j++) {
                String c = st[j].getClassName();
                if (c.startsWith("com.github.luben")) {
                    return "zstd";
                }
                if (c.startsWith("sun.security.provider")) {
                    return "SHA-256";
                }
                if (c.contains("CRC32")) {
                    return "CRC32C";
                }
                if (c.startsWith("software.amazon") || c.startsWith("org.apache.hc")) {
                    return "AWS SDK / HTTP";
                }
                if (c.startsWith("org.pacsfs.wal")) {
                    return "write-log";
                }
            }
            return "";
        }

        static String simple(String cls) {
            int dot = cls.lastIndexOf('.');
            return dot < 0 ? cls : cls.substring(dot + 1);
        }

        void print() {
            print("flusher thread", flusher, samples.get());
            print("upload threads (" + ShipConfig.defaults().uploadParallelism() + ")", upload, samples.get());
        }

        static void print(String what, Map<String, AtomicLong> m, long samples) {
            System.out.printf("%nwhere the %s spent the shipping runs (%d samples every 10 ms, %% of samples):%n", what, samples);
            m.entrySet().stream().sorted(Map.Entry.<String, AtomicLong>comparingByValue(
                            Comparator.comparingLong(AtomicLong::get)).reversed())
                    .limit(14)
                    .forEach(e -> System.out.printf("  %6.1f%%  %s%n", 100.0 * e.getValue().get() / samples, e.getKey()));
        }
    }
}
