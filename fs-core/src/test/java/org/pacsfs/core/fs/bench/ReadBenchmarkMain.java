package org.pacsfs.core.fs.bench;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.pacsfs.cache.CacheConfig;
import org.pacsfs.cache.CacheStats;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.embedded.S3ProxyProcess;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.core.store.s3.S3ObjectStore;

/**
 * The read path of issue 6 ("Speed"), end to end against one S3Proxy process started by this run. Not JMH: each case
 * is one timed run of a whole workload (warm-up, then {@code read.reps} repetitions). Usage: {@code fs-core/bench-read.sh}.
 *
 * <ol>
 *   <li>anchor: raw parallel GET of the chunk objects of the test file (4 MiB, incompressible) by the same
 *       {@link S3ObjectStore}, {@code getParallelism} threads, no verification;</li>
 *   <li>cold: a fresh mount (new state directory: empty memory and disk tiers) reads the file from the start in
 *       128 KiB reads (the FUSE request size) on one thread; anchor and cold repetitions alternate;</li>
 *   <li>warm: a file smaller than the memory tier read twice by one mount; the second pass is timed (no GET);</li>
 *   <li>restart: the cold mount is closed and opened again; the file is read from the disk tier;</li>
 *   <li>memory: a {@code read.hugeMiB} file read cold while heap, direct buffers, cache sizes and RSS are sampled.</li>
 * </ol>
 *
 * <p>System properties: {@code read.mib} (1024), {@code read.warmMiB} (128), {@code read.hugeMiB} (4096; 0 skips),
 * {@code read.reps} (3), {@code read.dir} (target/read-bench), {@code read.cases} (all: cold,warm,restart,memory),
 * {@code read.diskMiB} (10240, the default disk tier; 0 turns it off), {@code read.aheadMiB} and
 * {@code read.aheadTotalMiB} (128 and 128, the default read-ahead limits).
 */
public final class ReadBenchmarkMain {
    static final int MIB = 1 << 20;
    static final int READ = 128 << 10;

    final Path dir;
    final InFlight store;
    final CacheConfig cache = CacheConfig.defaults().withDisk(Long.getLong("read.diskMiB", 10240) << 20, 0.1)
            .withReadAhead(Long.getLong("read.aheadMiB", 128) << 20, Long.getLong("read.aheadTotalMiB", 128) << 20);
    int mountNo;

    /** The S3 server's process id, for its CPU time. */
    long serverPid = -1;

    ReadBenchmarkMain(Path dir, S3ObjectStore store) {
        this.dir = dir;
        this.store = new InFlight(store);
    }

    /** Counts GETs in flight and samples their number every millisecond while {@link #measure} runs. */
    static final class InFlight extends ForwardingObjectStore {
        final java.util.concurrent.atomic.AtomicInteger now = new java.util.concurrent.atomic.AtomicInteger();
        volatile boolean sampling;
        long samples;
        long sum;
        /** With -Dread.timeline=true: the mean GETs in flight per 50 ms of each measured run, printed after it. */
        final StringBuilder timeline = new StringBuilder();

        InFlight(ObjectStore delegate) {
            super(delegate);
        }

        @Override
        public ObjectData get(String key) {
            now.incrementAndGet();
            try {
                return super.get(key);
            } finally {
                now.decrementAndGet();
            }
        }

        /** Runs {@code work}; returns the mean number of GETs in flight meanwhile. */
        double measure(java.util.concurrent.Callable<?> work) throws Exception {
            samples = 0;
            sum = 0;
            sampling = true;
            boolean keepTimeline = Boolean.getBoolean("read.timeline");
            timeline.setLength(0);
            Thread t = new Thread(() -> {
                long windowSum = 0;
                int windowSamples = 0;
                long windowStart = System.nanoTime();
                while (sampling) {
                    int n = now.get();
                    sum += n;
                    samples++;
                    windowSum += n;
                    windowSamples++;
                    if (keepTimeline && System.nanoTime() - windowStart >= 50_000_000L) {
                        timeline.append(Math.round((double) windowSum / windowSamples)).append(' ');
                        windowSum = 0;
                        windowSamples = 0;
                        windowStart = System.nanoTime();
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            });
            t.start();
            try {
                work.call();
            } finally {
                sampling = false;
                t.join();
            }
            return samples == 0 ? 0 : (double) sum / samples;
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("read.dir", "target/read-bench")).toAbsolutePath();
        int mib = Integer.getInteger("read.mib", 1024);
        int warmMiB = Integer.getInteger("read.warmMiB", 128);
        int hugeMiB = Integer.getInteger("read.hugeMiB", 4096);
        int reps = Integer.getInteger("read.reps", 3);
        String cases = System.getProperty("read.cases", "cold,warm,restart,memory");
        Path jar = Path.of(System.getProperty("pacsfs.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
        deleteTree(dir);
        Files.createDirectories(dir);
        System.out.printf("ReadBenchmarkMain: %d cores, Java %s, max heap %d MiB; load average at start: %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20, loadAverage());
        try (S3ProxyProcess server = S3ProxyProcess.builder(jar).dataDirectory(dir.resolve("s3")).start()) {
            server.createBucket("read-bench");
            S3Config config = server.configFor("read-bench").maxConnections(2 * CacheConfig.DEFAULT_GET_PARALLELISM).build();
            System.out.printf("S3Proxy pid %d; client %s%n", server.pid(), config);
            try (S3ObjectStore store = S3ObjectStore.open(config)) {
                ReadBenchmarkMain bench = new ReadBenchmarkMain(dir, store);
                bench.serverPid = server.pid();
                bench.run(cases, mib, warmMiB, hugeMiB, reps);
            }
        }
    }

    void run(String cases, int mib, int warmMiB, int hugeMiB, int reps) throws Exception {
        System.out.println("cache " + cache);
        List<Double> anchor = new ArrayList<>();
        List<Double> cold = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        long size = (long) mib * MIB;
        writeFile("big/", size, 1);
        List<ObjectInfo> chunks;
        try (Stream<ObjectInfo> s = store.listAll("big/chunks/")) {
            chunks = s.toList();
        }
        System.out.printf("%n/big: %d MiB in %d chunk objects (%d MiB stored)%n", mib, chunks.size(),
                chunks.stream().mapToLong(ObjectInfo::size).sum() >> 20);
        Path lastCold = null;
        if (cases.contains("cold")) {
            System.out.printf("warm-up: anchor %.0f MB/s, cold read %.0f MB/s%n", anchor(chunks), coldRead("big/", size, null).mbps);
            for (int r = 1; r <= reps; r++) {
                double[] a = new double[1];
                Timed[] c = new Timed[1];
                ShipBenchmarkMain.Cpu cpu0 = ShipBenchmarkMain.cpu(serverPid);
                double aFlight = store.measure(() -> a[0] = anchor(chunks));
                ShipBenchmarkMain.Cpu anchorCpu = ShipBenchmarkMain.cpu(serverPid).minus(cpu0).perGB(size);
                String anchorTimeline = store.timeline.toString();
                c[0] = coldRead("big/", size, null);
                if (Boolean.getBoolean("read.timeline")) {
                    System.out.printf("GETs in flight per 50 ms: anchor [%s]%n  cold read [%s]%n", anchorTimeline.trim(),
                            store.timeline.toString().trim());
                }
                double cFlight = c[0].getsInFlight();
                lastCold = c[0].state;
                anchor.add(a[0]);
                cold.add(c[0].mbps);
                ratio.add(c[0].mbps / a[0]);
                System.out.printf("rep %d: anchor %.0f MB/s (%.1f GETs in flight on average), cold read %.0f MB/s (%.1f), ratio %.2f; "
                        + "%s; load %s%n", r, a[0], aFlight, c[0].mbps, cFlight, c[0].mbps / a[0], c[0].stats, loadAverage());
                System.out.printf("  CPU s/GB: anchor %s; cold read %s (by thread: %s)%n", anchorCpu, c[0].cpuPerGB, c[0].threads);
            }
        }
        List<Double> warm = new ArrayList<>();
        if (cases.contains("warm")) {
            writeFile("warm/", (long) warmMiB * MIB, 2);
            try (LocalFileSystem fs = mount("warm/", newState())) {
                readFile(fs, (long) warmMiB * MIB, null);
                long loads = fs.cacheStats().originLoads();
                for (int r = 0; r <= reps; r++) {
                    double s = readFile(fs, (long) warmMiB * MIB, null);
                    if (r > 0) {
                        warm.add(warmMiB * (double) MIB / s / 1e9);
                    }
                }
                System.out.printf("warm: %d MiB from the memory tier, GB/s per pass %s; GETs during the warm passes: %d%n",
                        warmMiB, fmt(warm), fs.cacheStats().originLoads() - loads);
            }
        }
        if (cases.contains("restart") && lastCold != null) {
            try (LocalFileSystem fs = mount("big/", lastCold)) {
                double s = readFile(fs, size, null);
                System.out.printf("restart: %d MiB read after a remount at %.0f MB/s; %s%n", mib, size / s / 1e6, fs.cacheStats());
            }
        }
        if (cases.contains("memory") && hugeMiB > 0) {
            memoryCase((long) hugeMiB * MIB);
        }
        System.out.printf("%nload average at end: %s%n%n", loadAverage());
        System.out.println("| case | median | min | max | target |");
        System.out.println("|---|---|---|---|---|");
        row("(1) anchor: raw parallel GET, 4 MiB chunk objects, " + cache.getParallelism() + " threads (MB/s)", anchor, "");
        row("(2) cold sequential read through fs-core, 128 KiB reads (MB/s)", cold, "");
        row("(2)/(1) ratio (per repetition)", ratio, ">= 0.80");
        row("(3) warm read from the memory tier, 128 KiB reads (GB/s)", warm, ">= 1");
    }

    record Timed(double mbps, Path state, CacheStats stats, double getsInFlight, ShipBenchmarkMain.Cpu cpuPerGB, String threads) {
    }

    Timed coldRead(String prefix, long size, Sampler sampler) throws Exception {
        Path state = newState();
        try (LocalFileSystem fs = mount(prefix, state)) {
            double[] seconds = new double[1];
            Map<String, Long> threads0 = ShipBenchmarkMain.threadCpu();
            ShipBenchmarkMain.Cpu cpu0 = ShipBenchmarkMain.cpu(serverPid);
            double flight = store.measure(() -> seconds[0] = readFile(fs, size, sampler));
            ShipBenchmarkMain.Cpu cpu = ShipBenchmarkMain.cpu(serverPid).minus(cpu0).perGB(size);
            StringBuilder byThread = new StringBuilder();
            for (Map.Entry<String, Long> e : ShipBenchmarkMain.threadCpu().entrySet()) {
                double v = (e.getValue() - threads0.getOrDefault(e.getKey(), 0L)) / 1e9 / (size / 1e9);
                if (v >= 0.02) {
                    byThread.append(byThread.length() == 0 ? "" : ", ").append(String.format("%s %.2f", e.getKey(), v));
                }
            }
            return new Timed(size / seconds[0] / 1e6, state, fs.cacheStats(), flight, cpu, byThread.toString());
        }
    }

    /** Reads /f sequentially in 128 KiB reads; returns the seconds from the first read to the last. */
    static double readFile(LocalFileSystem fs, long size, Sampler sampler) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(READ);
        long fh = fs.open("/f", OpenFlags.O_RDONLY);
        long start = System.nanoTime();
        long check = 0;
        for (long off = 0; off < size; off += READ) {
            buf.clear();
            int n = fs.read(fh, off, buf);
            if (n != Math.min(READ, size - off)) {
                throw new IllegalStateException("short read at " + off + ": " + n);
            }
            check += buf.get(0);
            if (sampler != null && (off & (16L * MIB - 1)) == 0) {
                sampler.sample(fs);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        fs.release(fh);
        if (check == Long.MIN_VALUE) {
            System.out.println(check); // keeps the reads observable
        }
        return seconds;
    }

    double anchor(List<ObjectInfo> chunks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(cache.getParallelism());
        try {
            AtomicLong bytes = new AtomicLong();
            long start = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (ObjectInfo o : chunks) {
                fs.add(pool.submit(() -> bytes.addAndGet(store.get(o.key()).bytes().length)));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            return bytes.get() / ((System.nanoTime() - start) / 1e9) / 1e6;
        } finally {
            pool.shutdown();
        }
    }

    void writeFile(String prefix, long size, long seed) throws Exception {
        byte[] pool = new byte[64 * MIB];
        new Random(seed).nextBytes(pool); // incompressible; chunk-sized pieces do not repeat within 64 MiB
        long start = System.nanoTime();
        try (LocalFileSystem fs = mount(prefix, newState())) {
            long fh = fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
            for (long off = 0; off < size; off += MIB) {
                fs.write(fh, off, ByteBuffer.wrap(pool, (int) ((off + off / 64 / MIB * 4096) % (63L * MIB)), MIB));
            }
            fs.release(fh);
            fs.flushToBucket(java.time.Duration.ofMinutes(30));
        }
        System.out.printf("wrote and shipped %s/f, %d MiB, in %.1f s%n", prefix, size >> 20, (System.nanoTime() - start) / 1e9);
    }

    LocalFileSystem mount(String prefix, Path state) throws Exception {
        FsConfig config = FsConfig.defaults(state).withIndexSize(20_000, 200_000).withCache(cache);
        return LocalFileSystem.open(config, Remote.of(store, prefix));
    }

    Path newState() throws IOException {
        Path p = dir.resolve("state-" + (++mountNo));
        Files.createDirectories(p);
        return p;
    }

    void memoryCase(long size) throws Exception {
        writeFile("huge/", size, 3);
        Sampler s = new Sampler();
        System.gc();
        s.sampleProcess();
        try (LocalFileSystem fs = mount("huge/", newState())) {
            double seconds = readFile(fs, size, s);
            s.sample(fs);
            System.gc(); // with the cache still full: what stays live is the cache plus the filesystem's own state
            long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf("%nmemory: %d MiB read cold at %.0f MB/s; %s%n", size >> 20, size / seconds / 1e6, fs.cacheStats());
            s.print(cache, live);
        }
    }

    /** Maxima of heap, direct buffers, cache sizes and the process's memory while a read runs. */
    static final class Sampler {
        long heapUsed;
        long heapCommitted;
        long direct;
        long mapped;
        long memoryTier;
        long rss;
        long rssFile;
        long indexRss;

        void sample(LocalFileSystem fs) {
            CacheStats c = fs.cacheStats();
            memoryTier = Math.max(memoryTier, c.memoryBytes());
            sampleProcess();
        }

        void sampleProcess() {
            var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            heapUsed = Math.max(heapUsed, heap.getUsed());
            heapCommitted = Math.max(heapCommitted, heap.getCommitted());
            for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                if (b.getName().equals("direct")) {
                    direct = Math.max(direct, b.getMemoryUsed());
                } else if (b.getName().equals("mapped")) {
                    mapped = Math.max(mapped, b.getMemoryUsed());
                }
            }
            rss = Math.max(rss, statusKb("VmRSS:") << 10);
            rssFile = Math.max(rssFile, statusKb("RssFile:") << 10);
            indexRss = Math.max(indexRss, mappedIndexRss());
        }

        void print(CacheConfig cache, long liveAfterGc) {
            System.out.printf("  max heap (-Xmx) %d MiB; heap used max %d MiB (committed max %d MiB), live after a full GC at the "
                            + "end of the read, cache still full, %d MiB%n", Runtime.getRuntime().maxMemory() >> 20, heapUsed >> 20, heapCommitted >> 20, liveAfterGc >> 20);
            System.out.printf("  memory tier max %d MiB (bound %d MiB); read-ahead pins bound %d MiB%n", memoryTier >> 20,
                    cache.memoryBytes() >> 20, cache.readAheadMaxBytesTotal() >> 20);
            System.out.printf("  direct buffers max %d MiB; mapped buffers (NIO) max %d MiB%n", direct >> 20, mapped >> 20);
            System.out.printf("  RSS max %d MiB, of which file-backed %d MiB; resident pages of the local index's mapped files %d MiB%n",
                    rss >> 20, rssFile >> 20, indexRss >> 20);
        }

        static long statusKb(String field) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith(field)) {
                        return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                return 0;
            }
            return 0;
        }

        /** Sum of Rss of the mappings of files under an index/ directory (the Chronicle Map files of the local index). */
        static long mappedIndexRss() {
            long kb = 0;
            boolean index = false;
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                    if (!line.isEmpty() && Character.isLetterOrDigit(line.charAt(0)) && line.contains("-") && !line.contains(":  ")
                            && line.split("\\s+").length >= 5 && line.split("\\s+")[0].contains("-")) {
                        index = line.contains("/index/");
                    } else if (index && line.startsWith("Rss:")) {
                        kb += Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                return 0;
            }
            return kb << 10;
        }
    }

    static void row(String name, List<Double> v, String target) {
        if (v.isEmpty()) {
            return;
        }
        List<Double> s = v.stream().sorted().toList();
        System.out.printf("| %s | %.2f | %.2f | %.2f | %s |%n", name, s.get(s.size() / 2), s.get(0), s.get(s.size() - 1), target);
    }

    static String fmt(List<Double> v) {
        return v.stream().map(d -> String.format("%.2f", d)).toList().toString();
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
