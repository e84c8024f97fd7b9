package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.s3.S3ObjectStore;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * Kill -9 while shipping, many times, against a real S3 server (S3Proxy): {@link ShippingCrashChild} runs a
 * PACS-like workload on a filesystem in the bucket (shipping every 20 ms) and is killed with SIGKILL at a random
 * moment (sometimes while it is still opening and recovering); then this JVM recovers the same state directory
 * (taking the lease over, as an operator restarting a crashed mount would) and checks that
 * <ul>
 *   <li>every operation whose fsync had returned is there, intact (files, renames, directory moves, appends);</li>
 *   <li>no file holds a byte that was never written to it;</li>
 *   <li>the bucket's metadata log is an unbroken hash chain whose segments ship each write-log's LSNs exactly once
 *       and in order, and reference only chunks that are in the bucket ({@link ShipTestSupport.LogInspector});</li>
 * </ul>
 * and after the last cycle that a second machine (fresh state directory) mounting the bucket sees the identical
 * tree. {@code pacsfs.ship.crashCycles} cycles (default 10; e.g. {@code -Dpacsfs.ship.crashCycles=200} for a long
 * run).
 */
@WithS3Proxy
class ShippingKillNineIT {
    private static final Pattern LINE = Pattern.compile("([A-Z]+)((?: -?\\d+)*) \\.");

    @TempDir
    Path tmp;

    /** What the children promised, accumulated over all cycles. */
    static final class Model {
        record Written(long study, int len, int cycle) {
        }

        final Map<Long, Written> files = new HashMap<>();
        final Set<Long> renamed = new HashSet<>();
        final Set<Long> archived = new HashSet<>();
        final Map<Long, Long> appended = new HashMap<>();
        final Map<Long, Integer> appendedInCycle = new HashMap<>();
        long promises;

        void apply(String kind, long[] a, int cycle) {
            switch (kind) {
                case "F" -> files.put(a[0], new Written(a[1], (int) a[2], cycle));
                case "R" -> renamed.add(a[0]);
                case "D" -> archived.add(a[0]);
                case "A" -> {
                    appended.merge(a[0], a[1], Math::max);
                    appendedInCycle.put(a[0], cycle);
                }
                default -> {
                    return;
                }
            }
            promises++;
        }
    }

    @Test
    void everySyncedOperationSurvivesKillNineAndTheBucketHoldsEachRecordOnce(S3TestBucket bucket) throws Exception {
        int cycles = Integer.getInteger("pacsfs.ship.crashCycles", 10);
        long seed = Long.getLong("pacsfs.ship.seed", new Random().nextLong());
        System.out.println("ShippingKillNineIT: " + cycles + " cycles, seed " + seed + " (-Dpacsfs.ship.seed to repeat the schedule)");
        Random random = new Random(seed);
        Path state = tmp.resolve("machine-a");
        S3ObjectStore store = bucket.newStore();
        ShipTestSupport.LogInspector log = new ShipTestSupport.LogInspector(store, ShippingCrashChild.PREFIX);
        Model model = new Model();
        int killedWhileOpening = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            boolean duringOpen = random.nextInt(100) < 15;
            int delay = duringOpen ? random.nextInt(1200) : 100 + random.nextInt(1000);
            long t0 = System.nanoTime();
            boolean opened = runAndKill(bucket, state, cycle, random.nextLong(), duringOpen, delay, model);
            if (!opened) {
                killedWhileOpening++;
            }
            long t1 = System.nanoTime();
            log.check();
            LocalFileSystem fs = LocalFileSystem.open(ShippingCrashChild.fsConfig(state), ShippingCrashChild.remote(store));
            try {
                boolean full = cycle % 10 == 9;
                verify(fs, model, cycle, full);
            } finally {
                // leave the state dirty again: the next child recovers from an unclean stop too
                fs.crashForTesting();
            }
            int segments = log.check();
            long t2 = System.nanoTime();
            System.out.printf("cycle %d: killed %s after %d ms; %d promises so far, %d log segments; child %d ms, recovery and checks %d ms%n",
                    cycle, opened ? "while working" : "while opening", delay, model.promises, segments, (t1 - t0) / 1_000_000,
                    (t2 - t1) / 1_000_000);
        }
        assertThat(model.promises).as("the children made progress").isGreaterThan(cycles);

        SortedMap<String, String> machineA;
        try (LocalFileSystem a = LocalFileSystem.open(ShippingCrashChild.fsConfig(state), ShippingCrashChild.remote(store))) {
            verify(a, model, cycles, true);
            a.flushToBucket(Duration.ofMinutes(2));
            assertThat(a.shipStatus().shippedLsn()).isEqualTo(a.shipStatus().lastLsn());
            machineA = ShipTestSupport.snapshot(a);
        }
        log.check();
        try (LocalFileSystem b = LocalFileSystem.open(ShippingCrashChild.fsConfig(tmp.resolve("machine-b")),
                ShippingCrashChild.remote(store))) {
            assertThat(b.recoveryInfo().indexTrusted()).isFalse();
            SortedMap<String, String> machineB = ShipTestSupport.snapshot(b);
            assertThat(machineB).as("the second machine's tree").isEqualTo(machineA);
            verify(b, model, cycles, true);
        }
        int segments = log.check();
        System.out.printf("ShippingKillNineIT: %d cycles (%d killed while opening), %d promises, %d segments, %d chunk objects "
                + "not referenced by the log (uploads cut short by a kill)%n", cycles, killedWhileOpening, model.promises,
                segments, log.unreferencedChunks());
    }

    /** Runs one child; returns whether it had opened the filesystem before it was killed. */
    private boolean runAndKill(S3TestBucket bucket, Path state, int cycle, long childSeed, boolean duringOpen, int delayMillis,
                               Model model) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+UseSerialGC");
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle.")) {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(childClassPath());
        cmd.add(ShippingCrashChild.class.getName());
        cmd.addAll(List.of(state.toString(), bucket.endpoint().toString(), bucket.name(), bucket.accessKeyId(),
                bucket.secretAccessKey(), Long.toString((cycle + 1) * 1_000_000L), Long.toString(childSeed)));
        Path stderr = tmp.resolve("child-" + cycle + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderr.toFile());
        Process p = pb.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch open = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    if (line.startsWith("START")) {
                        started.countDown();
                    } else if (line.startsWith("OPEN")) {
                        open.countDown();
                    }
                }
            } catch (IOException e) {
                lines.add("reader failed: " + e);
            }
        }, "child-stdout");
        reader.start();
        try {
            CountDownLatch waitFor = duringOpen ? started : open;
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!waitFor.await(50, TimeUnit.MILLISECONDS) && p.isAlive() && System.nanoTime() < giveUp) {
                // waiting for the child
            }
            if (waitFor.getCount() > 0) {
                p.waitFor(2, TimeUnit.SECONDS);
                throw new AssertionError("cycle " + cycle + ": the child did not " + (duringOpen ? "start" : "open the filesystem")
                        + " (it died, or took over 90 s); exit " + (p.isAlive() ? "none (still running)" : p.exitValue()) + "; stderr:\n" + tail(stderr));
            }
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
            while (System.nanoTime() < until && p.isAlive()) {
                Thread.sleep(5);
            }
            // kill -9 through the OS (Process.destroyForcibly() would also close our end of the pipe, and every line
            // the child wrote before it died must still be read)
            new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).inheritIO().start().waitFor();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join(30_000);
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(p.exitValue()).as("cycle %d: the child must die by the kill, not by itself; stderr:%n%s", cycle, tail(stderr))
                .isEqualTo(137);
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue; // cut by the kill: that promise was not made
            }
            String[] parts = m.group(2).trim().split(" ");
            long[] a = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                a[i] = parts[i].isEmpty() ? 0 : Long.parseLong(parts[i]);
            }
            model.apply(m.group(1), a, cycle);
        }
        return open.getCount() == 0;
    }

    private String classPath;

    /**
     * The test class path for the children, with its directories (target/classes, target/test-classes) copied once
     * into the temporary directory: a build running meanwhile in the same checkout must not pull the classes from
     * under a child started minutes later.
     */
    private String childClassPath() throws IOException {
        if (classPath == null) {
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            List<String> out = new ArrayList<>();
            int n = 0;
            for (String entry : cp.split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                if (Files.isDirectory(p)) {
                    Path copy = tmp.resolve("classpath-" + n++);
                    try (var files = Files.walk(p)) {
                        for (Path f : (Iterable<Path>) files::iterator) {
                            Path to = copy.resolve(p.relativize(f).toString());
                            if (Files.isDirectory(f)) {
                                Files.createDirectories(to);
                            } else {
                                Files.copy(f, to);
                            }
                        }
                    }
                    out.add(copy.toString());
                } else {
                    out.add(entry);
                }
            }
            classPath = String.join(java.io.File.pathSeparator, out);
            System.out.println("ShippingKillNineIT: child class path of " + out.size() + " entries, " + n + " directories copied");
        }
        return classPath;
    }

    private static String tail(Path file) throws IOException {
        if (!Files.exists(file)) {
            return "(none)";
        }
        List<String> all = Files.readAllLines(file);
        return String.join("\n", all.subList(Math.max(0, all.size() - 60), all.size()));
    }

    private static final Pattern STUDY_FILE = Pattern.compile("/(incoming|archive)/s(\\d+)/f(\\d+)\\.(tmp|dcm)");
    private static final Pattern LOG_FILE = Pattern.compile("/logs/a(\\d+)\\.log");

    /**
     * Checks the recovered filesystem against what the children promised. Contents are read of everything touched
     * in this or the previous cycle, and of everything when {@code full}; older files otherwise by size.
     */
    private static void verify(LocalFileSystem fs, Model model, int cycle, boolean full) throws FsException {
        SortedMap<String, String> tree = listing(fs);
        Map<Long, String> where = new HashMap<>();
        for (Map.Entry<String, String> e : tree.entrySet()) {
            String path = e.getKey();
            if (!e.getValue().equals("f")) {
                continue;
            }
            Matcher s = STUDY_FILE.matcher(path);
            Matcher l = LOG_FILE.matcher(path);
            long id;
            if (s.matches()) {
                id = Long.parseLong(s.group(3));
            } else if (l.matches()) {
                id = Long.parseLong(l.group(1));
            } else {
                throw new AssertionError("cycle " + cycle + ": a file nobody wrote: " + path);
            }
            String before = where.put(id, path);
            assertThat(before).as("cycle %d: file %d appears twice: %s and %s", cycle, id, before, path).isNull();
            int touched = (int) (id / 1_000_000L) - 1;
            Integer appendedIn = model.appendedInCycle.get(id);
            if (full || touched >= cycle - 1 || (appendedIn != null && appendedIn >= cycle - 1)) {
                byte[] data = ShipTestSupport.readAll(fs, path);
                long bad = ShipTestSupport.firstMismatch(id, data);
                assertThat(bad).as("cycle %d: %s (%d bytes) holds bytes never written to it, from offset %d", cycle, path,
                        data.length, bad).isEqualTo(-1);
            }
        }
        for (Map.Entry<Long, Model.Written> e : model.files.entrySet()) {
            long id = e.getKey();
            Model.Written w = e.getValue();
            String path = where.get(id);
            assertThat(path).as("cycle %d: file %d (study %d, %d bytes, fsynced in cycle %d) is missing", cycle, id,
                    w.study(), w.len(), w.cycle()).isNotNull();
            assertThat(fs.getattr(path).size()).as("cycle %d: size of %s", cycle, path).isEqualTo(w.len());
            assertThat(path).as("cycle %d: study of file %d", cycle, id).contains("/s" + w.study() + "/");
            if (model.renamed.contains(id)) {
                assertThat(path).as("cycle %d: file %d was renamed (synced)", cycle, id).endsWith(".dcm");
            }
            if (model.archived.contains(w.study())) {
                assertThat(path).as("cycle %d: study %d was archived (synced)", cycle, w.study()).startsWith("/archive/");
            }
        }
        for (long study : model.archived) {
            assertThat(tree).as("cycle %d: study %d was moved (synced)", cycle, study)
                    .containsKey("/archive/s" + study).doesNotContainKey("/incoming/s" + study);
        }
        for (Map.Entry<Long, Long> e : model.appended.entrySet()) {
            String path = "/logs/a" + e.getKey() + ".log";
            assertThat(tree).as("cycle %d: appended file", cycle).containsKey(path);
            assertThat(fs.getattr(path).size()).as("cycle %d: %s was fsynced at %d bytes", cycle, path, e.getValue())
                    .isGreaterThanOrEqualTo(e.getValue());
        }
    }

    /** path -> "d" or "f", without reading contents. */
    private static SortedMap<String, String> listing(FileSystem fs) throws FsException {
        SortedMap<String, String> out = new java.util.TreeMap<>();
        List<String> dirs = new ArrayList<>(List.of("/"));
        while (!dirs.isEmpty()) {
            String dir = dirs.remove(dirs.size() - 1);
            long dh = fs.opendir(dir);
            try {
                for (DirEntry e : fs.readdir(dh, 0, Integer.MAX_VALUE)) {
                    if (e.name().equals(".") || e.name().equals("..")) {
                        continue;
                    }
                    String path = dir.equals("/") ? "/" + e.name() : dir + "/" + e.name();
                    if (e.type() == FileType.DIRECTORY) {
                        out.put(path, "d");
                        dirs.add(path);
                    } else {
                        out.put(path, e.type() == FileType.REGULAR ? "f" : String.valueOf(e.type()));
                    }
                }
            } finally {
                fs.releasedir(dh);
            }
        }
        return out;
    }
}
