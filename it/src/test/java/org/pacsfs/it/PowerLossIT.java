package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.DirEntry;
import org.pacsfs.core.fs.FileType;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.fs.ShipConfig;
import org.pacsfs.core.fs.model.FsTreeReader;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * Scenario 2 of docs/RELIABILITY.md: power loss of the local disk under a filesystem that ships to a real S3 server
 * (S3Proxy process). The filesystem runs in this JVM so that the test stands between it and its disk: the write-log's
 * files go through {@link PowerLossDisk}'s channel factory (a file keeps only what was forced, then a torn page), and
 * at each cut every other local file the filesystem does not force (the memory-mapped index, the chunk cache's blocks)
 * is damaged as a power loss may leave it: pages of an older copy mixed with newer ones, truncated, zeroed, garbage or
 * gone. A workload of PACS-like operations (files created, written in pieces, fsynced, closed; appends, overwrites,
 * truncates, renames, unlinks, directories) runs against a reference model while the flusher ships, checkpoints and
 * trims the write-log in the background; the power is cut at a random step, and after reopening the tree must equal
 * the model after some prefix of the steps that contains every step a returned fsync or syncAll covered. Sometimes a
 * session ends with a clean unmount instead (the index is then trusted at the next open). At the end a new machine
 * (empty state directory) reads the bucket and must see the same tree.
 *
 * <p>Cuts: -Dpacsfs.it.powerCuts (default 16; the long run uses many more); seed: -Dpacsfs.it.powerSeed.
 */
@WithS3Proxy
@Timeout(1800)
class PowerLossIT {

    private static final int CUTS = Integer.getInteger("pacsfs.it.powerCuts", 16);
    private static final long SEED = Long.getLong("pacsfs.it.powerSeed", System.nanoTime());
    private static final int W = OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL;

    @Test
    void everythingFsyncedSurvivesPowerLossOfTheLocalDisk(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("power-loss");
        Path state = work.resolve("state");
        Random random = new Random(SEED);
        ObjectStore store = bucket.newStore();
        Remote remote = remote(store, 20);
        Workload w = new Workload(random);
        Stats stats = new Stats();
        long started = System.nanoTime();
        try {
            for (int cut = 0; cut < CUTS; cut++) {
                PowerLossDisk disk = new PowerLossDisk(state);
                // Ship at once, or let records wait in the write-log (then the cut meets unshipped records to replay).
                int flushDelayMillis = List.of(20, 20, 400, 5000).get(random.nextInt(4));
                LocalFileSystem fs = LocalFileSystem.open(config(state, disk), remote(disk.poweredStore(store), flushDelayMillis));
                w.checkRecovered(fs, "open #" + cut + " (seed " + SEED + ")");
                stats.opens++;
                int steps = 20 + random.nextInt(120);
                int snapshotAt = random.nextInt(steps);
                for (int s = 0; s < steps; s++) {
                    if (s == snapshotAt) {
                        disk.snapshotUnforcedFiles();
                    }
                    w.step(fs);
                    if (random.nextInt(8) == 0) {
                        Thread.sleep(random.nextInt(40)); // let the flusher ship, checkpoint and trim in between
                    }
                }
                if (random.nextInt(6) == 0) {
                    fs.close();
                    w.cleanUnmount();
                    stats.cleanUnmounts++;
                    continue;
                }
                disk.powerCut();
                fs.crashForTesting();
                stats.damagedFiles += disk.loseUnforced(random);
                stats.cuts++;
            }
            LocalFileSystem fs = LocalFileSystem.open(config(state, new PowerLossDisk(state)), remote);
            w.checkRecovered(fs, "final open (seed " + SEED + ")");
            Map<String, byte[]> mine = Workload.readTree(fs);
            fs.close();
            // A new machine sees in the bucket exactly what the last mount recovered.
            Path other = work.resolve("other-machine");
            LocalFileSystem viewer = LocalFileSystem.openReadOnly(FsConfig.defaults(other).withIndexSize(20_000, 100_000), remote);
            try {
                Map<String, byte[]> theirs = Workload.readTree(viewer);
                assertThat(Workload.same(mine, theirs)).as("a new machine reads the same tree from the bucket").isTrue();
            } finally {
                viewer.close();
            }
        } finally {
            store.close();
        }
        assertThat(w.syncsAcknowledged).as("the workload got fsyncs acknowledged").isPositive();
        System.out.printf("RELIABILITY PowerLossIT: %d power cuts survived (%d clean unmounts between), %d steps (%d fsyncs/syncAll "
                        + "acknowledged), %d recovered trees verified (acknowledged steps lost: 0), %d steps after the last sync lost, "
                        + "%d unforced local files damaged, %d bytes verified, 0 errors, seed %d, %d s%n",
                stats.cuts, stats.cleanUnmounts, w.tried, w.syncsAcknowledged, w.recoveries, w.lostUnsynced, stats.damagedFiles,
                w.bytesVerified, SEED, (System.nanoTime() - started) / 1_000_000_000L);
    }

    private static Remote remote(ObjectStore store, int flushDelayMillis) {
        return Remote.of(store, "pl/").withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(flushDelayMillis))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(200)).withCheckpoints(Duration.ofSeconds(2), 3));
    }

    private static FsConfig config(Path state, PowerLossDisk disk) {
        return FsConfig.defaults(state).withIndexSize(20_000, 100_000).withWalTuning(c -> c.withSegmentSizeBytes(1 << 20)
                .withChannelFactory(disk.walChannels()));
    }

    private static final class Stats {
        int opens;
        int cuts;
        int cleanUnmounts;
        long damagedFiles;
    }

    /**
     * A PACS-like workload against a reference model. Every step is at most one write-log record that changes names or
     * bytes (writes are at most 256 KiB, below the filesystem's largest record), so a recovered tree is exactly the
     * state after some step.
     */
    static final class Workload {
        private static final long MAX_TREE_BYTES = 48L << 20;
        private final Random random;
        /** The model now: path -> bytes (files), path -> null (directories). Byte arrays are never changed in place. */
        private Map<String, byte[]> tree = new TreeMap<>();
        /** states.get(i): the tree after step base + i. */
        private final List<Map<String, byte[]>> states = new ArrayList<>();
        private final Map<String, Integer> lastTouched = new HashMap<>();
        private int base;
        int steps;
        /** Operations run, reads included, over all sessions (steps restarts from the recovered state). */
        long tried;
        private int syncBound;
        int syncsAcknowledged;
        int recoveries;
        int lostUnsynced;
        long bytesVerified;
        private String writing;
        private long writingFh;
        private int names;

        Workload(Random random) {
            this.random = random;
            tree.put("/", null);
            states.add(new TreeMap<>(tree));
        }

        void step(LocalFileSystem fs) throws FsException {
            tried++;
            int dice = random.nextInt(100);
            if (tree.values().stream().mapToLong(b -> b == null ? 0 : b.length).sum() > MAX_TREE_BYTES) {
                dice = 80; // unlink: the model keeps every byte in memory, and each open reads the whole tree back
            }
            List<String> files = tree.entrySet().stream().filter(e -> e.getValue() != null && !e.getKey().equals(writing))
                    .map(Map.Entry::getKey).toList();
            List<String> dirs = tree.entrySet().stream().filter(e -> e.getValue() == null).map(Map.Entry::getKey).toList();
            if (writing == null || dice < 8) {
                closeWriting(fs);
                String dir = dirs.get(random.nextInt(dirs.size()));
                String path = child(dir, "IM" + names++ + ".dcm");
                writingFh = fs.create(path, 0644, W, Caller.ROOT);
                writing = path;
                changed(path, new byte[0]);
            } else if (dice < 45) {
                byte[] old = tree.get(writing);
                byte[] piece = bytes(1 + random.nextInt(random.nextBoolean() ? 8192 : 256 << 10));
                fs.write(writingFh, old.length, ByteBuffer.wrap(piece));
                changed(writing, concat(old, old.length, piece));
            } else if (dice < 55) {
                fs.fsync(writingFh, random.nextBoolean());
                acknowledged(lastTouched.get(writing));
            } else if (dice < 60) {
                closeWriting(fs);
            } else if (dice < 68 && !files.isEmpty()) {
                String f = pick(files);
                byte[] old = tree.get(f);
                byte[] piece = bytes(1 + random.nextInt(64 << 10));
                long at = random.nextInt(8) == 0 ? random.nextInt(old.length + 1) : old.length; // mostly appends
                long fh = fs.open(f, OpenFlags.O_WRONLY);
                try {
                    fs.write(fh, at, ByteBuffer.wrap(piece));
                    changed(f, concat(old, (int) at, piece));
                    if (random.nextBoolean()) {
                        fs.fsync(fh, true);
                        acknowledged(steps);
                    }
                } finally {
                    fs.release(fh);
                }
            } else if (dice < 72 && !files.isEmpty()) {
                String f = pick(files);
                byte[] old = tree.get(f);
                int size = random.nextInt(old.length + 10_000);
                fs.truncate(f, size);
                changed(f, java.util.Arrays.copyOf(old, size));
            } else if (dice < 78 && !files.isEmpty()) {
                String f = pick(files);
                String to = child(dirs.get(random.nextInt(dirs.size())), "R" + names++ + ".dcm");
                fs.rename(f, to, 0);
                byte[] b = tree.remove(f);
                tree.put(to, b);
                steps++;
                lastTouched.put(to, steps);
                states.add(new TreeMap<>(tree));
            } else if (dice < 83 && !files.isEmpty()) {
                String f = pick(files);
                fs.unlink(f);
                tree.remove(f);
                steps++;
                states.add(new TreeMap<>(tree));
            } else if (dice < 86 && dirs.size() < 12) {
                String d = child(dirs.get(random.nextInt(dirs.size())), "study-" + names++);
                fs.mkdir(d, 0755, Caller.ROOT);
                tree.put(d, null);
                steps++;
                states.add(new TreeMap<>(tree));
            } else if (dice < 88) {
                fs.syncAll();
                acknowledged(steps);
            } else if (!files.isEmpty()) {
                String f = pick(files);
                byte[] got = readFile(fs, f);
                if (!java.util.Arrays.equals(got, tree.get(f))) {
                    throw new AssertionError("read of " + f + " after step " + steps + " returned other bytes than were written");
                }
                bytesVerified += got.length;
            }
        }

        private void closeWriting(LocalFileSystem fs) throws FsException {
            if (writing != null) {
                fs.release(writingFh);
                writing = null;
            }
        }

        private void changed(String path, byte[] content) {
            tree.put(path, content);
            steps++;
            lastTouched.put(path, steps);
            states.add(new TreeMap<>(tree));
        }

        private void acknowledged(int step) {
            syncBound = Math.max(syncBound, step);
            syncsAcknowledged++;
        }

        /** After a clean unmount everything is durable: the next open must show the model exactly. */
        void cleanUnmount() {
            writing = null;
            syncBound = steps;
        }

        /**
         * After a (re)open: the tree must equal the model after some step k with syncBound <= k <= steps. The model
         * continues from that state.
         */
        void checkRecovered(LocalFileSystem fs, String when) throws FsException {
            writing = null;
            Map<String, byte[]> got = readTree(fs);
            int match = -1;
            for (int k = steps; k >= Math.max(syncBound, base); k--) {
                if (same(states.get(k - base), got)) {
                    match = k;
                    break;
                }
            }
            if (match < 0) {
                throw new AssertionError(when + ": the recovered tree matches no state after steps " + Math.max(syncBound, base) + ".."
                        + steps + " (fsync acknowledged through step " + syncBound + ")\nrecovered: " + describe(got) + "\nafter step "
                        + steps + ": " + describe(tree) + "\nafter the synced step " + syncBound + ": "
                        + (syncBound >= base ? describe(states.get(syncBound - base)) : "(earlier session)"));
            }
            recoveries++;
            lostUnsynced += steps - match;
            for (byte[] b : got.values()) {
                bytesVerified += b == null ? 0 : b.length;
            }
            tree = new TreeMap<>(states.get(match - base));
            steps = match;
            base = match;
            syncBound = match;
            states.clear();
            states.add(new TreeMap<>(tree));
        }

        static Map<String, byte[]> readTree(LocalFileSystem fs) throws FsException {
            Map<String, byte[]> out = new TreeMap<>();
            walk(fs, "/", out);
            return out;
        }

        private static void walk(LocalFileSystem fs, String path, Map<String, byte[]> out) throws FsException {
            out.put(path, null);
            for (DirEntry e : FsTreeReader.list(fs, path)) {
                String child = child(path, e.name());
                if (e.type() == FileType.DIRECTORY) {
                    walk(fs, child, out);
                } else {
                    out.put(child, readFile(fs, child));
                }
            }
        }

        static byte[] readFile(LocalFileSystem fs, String path) throws FsException {
            long fh = fs.open(path, OpenFlags.O_RDONLY);
            try {
                ByteBuffer b = ByteBuffer.allocate((int) fs.getattr(fh).size());
                while (b.hasRemaining()) {
                    if (fs.read(fh, b.position(), b) <= 0) {
                        throw new AssertionError(path + ": read ended at " + b.position() + " of " + b.capacity());
                    }
                }
                return b.array();
            } finally {
                fs.release(fh);
            }
        }

        static boolean same(Map<String, byte[]> a, Map<String, byte[]> b) {
            if (!a.keySet().equals(b.keySet())) {
                return false;
            }
            for (Map.Entry<String, byte[]> e : a.entrySet()) {
                if (!java.util.Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        private static String describe(Map<String, byte[]> t) {
            StringBuilder sb = new StringBuilder();
            t.forEach((p, b) -> sb.append(p).append(b == null ? "/" : "=" + b.length + "B " + java.util.Arrays.hashCode(b)).append(' '));
            return sb.toString();
        }

        private static String child(String dir, String name) {
            return dir.equals("/") ? "/" + name : dir + "/" + name;
        }

        private String pick(List<String> l) {
            return l.get(random.nextInt(l.size()));
        }

        private byte[] bytes(int n) {
            byte[] b = new byte[n];
            random.nextBytes(b);
            return b;
        }

        private static byte[] concat(byte[] old, int at, byte[] piece) {
            byte[] out = java.util.Arrays.copyOf(old, Math.max(old.length, at + piece.length));
            System.arraycopy(piece, 0, out, at, piece.length);
            return out;
        }
    }
}
