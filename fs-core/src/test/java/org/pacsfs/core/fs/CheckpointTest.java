package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.PutCondition;

/** Checkpoints in the bucket: written at unmount, chained, consolidated, loaded by the next machine, and skipped when damaged. */
class CheckpointTest {
    @TempDir
    Path dir;

    static FsConfig cfg(Path d) {
        return FsConfig.defaults(d).withIndexSize(20_000, 200_000);
    }

    static Remote remote(InMemoryObjectStore store, int maxIncrementals) {
        return Remote.of(store, "").withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(20))
                .withCheckpoints(Duration.ofHours(1), maxIncrementals));
    }

    /** path -> "type mode size nlink sha256" for the whole tree, symlink targets and xattrs included. */
    static TreeMap<String, String> tree(LocalFileSystem fs) throws Exception {
        TreeMap<String, String> out = new TreeMap<>();
        walk(fs, "/", out);
        return out;
    }

    private static void walk(LocalFileSystem fs, String path, TreeMap<String, String> out) throws Exception {
        long dh = fs.opendir(path);
        for (DirEntry e : fs.readdir(dh, 0, Integer.MAX_VALUE)) {
            if (e.name().equals(".") || e.name().equals("..")) {
                continue;
            }
            String p = (path.equals("/") ? "" : path) + "/" + e.name();
            Attributes a = fs.getattr(p);
            String content = switch (a.type()) {
                case REGULAR -> sha(RemoteShippingTest.readAll(fs, p));
                case SYMLINK -> fs.readlink(p);
                case DIRECTORY -> "";
            };
            out.put(p, a.type() + " " + Integer.toOctalString(a.mode()) + " " + a.size() + " " + a.nlink() + " " + content
                    + " " + fs.listxattr(p));
            if (a.type() == FileType.DIRECTORY) {
                walk(fs, p, out);
            }
        }
        fs.releasedir(dh);
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** One round of assorted changes: creates, overwrites, truncates, renames, unlinks, links, xattrs. */
    static void changes(LocalFileSystem fs, int round, Random r) throws Exception {
        String d = "/r" + round;
        fs.mkdir(d, 0755, Caller.ROOT);
        for (int i = 0; i < 20; i++) {
            byte[] b = new byte[r.nextInt(300_000)];
            r.nextBytes(b);
            RemoteShippingTest.write(fs, d + "/f" + i, b, 65536);
        }
        if (round > 0) {
            String prev = "/r" + (round - 1);
            long fh = fs.open(prev + "/f1", OpenFlags.O_RDWR);
            fs.write(fh, 1000, ByteBuffer.wrap(new byte[5000]));
            fs.release(fh);
            fs.truncate(prev + "/f2", 77);
            fs.unlink(prev + "/f3");
            fs.rename(prev + "/f4", d + "/moved", 0);
            fs.link(prev + "/f5", d + "/hardlink");
            fs.rename(prev + "/f6", prev + "/f7", 0);
        }
        fs.setxattr(d + "/f0", "user.round", new byte[] {(byte) round}, 0);
        fs.symlink("f0", d + "/link", Caller.ROOT);
        fs.chmod(d + "/f8", 0600);
    }

    @Test
    void checkpointsChainConsolidateAndLoadOnAnotherMachine() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Random r = new Random(1);
        TreeMap<String, String> expected = null;
        for (int round = 0; round < 6; round++) {
            try (LocalFileSystem a = LocalFileSystem.open(cfg(dir.resolve("a")), remote(store, 2))) {
                if (round > 0) {
                    assertThat(a.recoveryInfo().indexTrusted()).as("round %d: clean restart trusts the index", round).isTrue();
                }
                changes(a, round, r);
                a.flushToBucket(Duration.ofMinutes(1));
                expected = tree(a);
            }
        }
        long fulls = store.listAll("checkpoints/").map(ObjectInfo::key).filter(k -> k.contains("/full-") && k.endsWith(".manifest")).count();
        long incrs = store.listAll("checkpoints/").map(ObjectInfo::key).filter(k -> k.contains("/incr-") && k.endsWith(".manifest")).count();
        assertThat(fulls).as("first full + consolidations").isGreaterThanOrEqualTo(2);
        assertThat(incrs).isGreaterThanOrEqualTo(3);
        try (LocalFileSystem b = LocalFileSystem.open(cfg(dir.resolve("b")), remote(store, 2))) {
            assertThat(b.recoveryInfo().checkpointSeq()).isPositive();
            assertThat(b.recoveryInfo().segmentsReplayed()).isZero();
            assertThat(tree(b)).isEqualTo(expected);
            // inode numbers are never reused, also after loading a checkpoint
            long fh = b.create("/new", 0644, OpenFlags.O_RDWR, Caller.ROOT);
            assertThat(b.getattr(fh).ino()).isGreaterThan(expected.size());
            b.release(fh);
        }
    }

    @Test
    void aCrashAfterACheckpointRebuildsFromCheckpointLaterSegmentsAndTheLocalLog() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Random r = new Random(2);
        try (LocalFileSystem a = LocalFileSystem.open(cfg(dir.resolve("a")), remote(store, 4))) {
            changes(a, 0, r);
        }
        LocalFileSystem a = LocalFileSystem.open(cfg(dir.resolve("a")), remote(store, 4));
        changes(a, 1, r);
        a.flushToBucket(Duration.ofMinutes(1));
        changes(a, 2, r);
        a.syncAll();
        TreeMap<String, String> expected = tree(a);
        a.crashForTesting();
        try (LocalFileSystem again = LocalFileSystem.open(cfg(dir.resolve("a")), remote(store, 4).withTakeOver(true))) {
            assertThat(again.recoveryInfo().indexTrusted()).isFalse();
            assertThat(again.recoveryInfo().checkpointSeq()).isPositive();
            assertThat(again.recoveryInfo().segmentsReplayed()).isPositive();
            assertThat(tree(again)).isEqualTo(expected);
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(dir.resolve("b")), remote(store, 4))) {
            assertThat(tree(b)).isEqualTo(expected);
        }
    }

    @Test
    void anIncrementalAfterLoadingACheckpointHoldsOnlyTheNewChanges() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalFileSystem a = LocalFileSystem.open(cfg(dir.resolve("a")), remote(store, 4))) {
            changes(a, 0, new Random(5));
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(dir.resolve("b")), remote(store, 4))) {
            assertThat(b.recoveryInfo().checkpointSeq()).isPositive();
            b.release(b.create("/one-more", 0644, OpenFlags.O_RDWR, Caller.ROOT));
        }
        long full = entriesOfNewest(store, "/full-");
        long incr = entriesOfNewest(store, "/incr-");
        // new inode, its entry, the root's inode: what changed, not the loaded tree again
        assertThat(incr).isLessThan(10).isLessThan(full);
    }

    private static long entriesOfNewest(InMemoryObjectStore store, String kind) {
        return store.listAll("checkpoints/").map(ObjectInfo::key).filter(k -> k.contains(kind) && k.endsWith(".manifest"))
                .max(String::compareTo)
                .map(k -> CheckpointFormat.decodeManifest(store.get(k).bytes(), k).parts().stream()
                        .mapToLong(CheckpointFormat.PartInfo::entries).sum()).orElseThrow();
    }

    @Test
    void aDamagedCheckpointIsSkippedAndTheLogStillGivesTheTree() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        TreeMap<String, String> expected;
        try (LocalFileSystem a = LocalFileSystem.open(cfg(dir.resolve("a")), remote(store, 4))) {
            changes(a, 0, new Random(3));
            changes(a, 1, new Random(4));
            a.flushToBucket(Duration.ofMinutes(1));
            expected = tree(a);
        }
        String part = store.listAll("checkpoints/").map(ObjectInfo::key).filter(k -> k.contains(".part-")).findFirst().orElseThrow();
        byte[] bytes = store.get(part).bytes();
        bytes[bytes.length / 2] ^= 1;
        store.put(part, ByteBuffer.wrap(bytes), PutCondition.none());
        try (LocalFileSystem b = LocalFileSystem.open(cfg(dir.resolve("b")), remote(store, 4))) {
            assertThat(b.recoveryInfo().checkpointSeq()).isZero();
            assertThat(tree(b)).isEqualTo(expected);
        }
        assertThat(Files.exists(dir.resolve("b").resolve("index"))).isTrue();
    }
}
