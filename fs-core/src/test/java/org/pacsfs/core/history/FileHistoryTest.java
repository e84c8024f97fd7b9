package org.pacsfs.core.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.FileHistory;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.fs.ShipConfig;
import org.pacsfs.core.store.InMemoryObjectStore;

/**
 * versions and cat --at against a reference model: random single-record operations on a few paths, each shipped
 * before the next, the model's state recorded after each; a remount (other machine, checkpoint at the clean close)
 * half way.
 */
class FileHistoryTest {
    static final String PREFIX = "fs/";
    static final List<String> PATHS = List.of("/a", "/b", "/d/c");

    @TempDir
    Path tmp;

    /** The model's state of one path after one step: null = absent. */
    record State(byte[] content, int mode) {
        String sha() {
            return sha256(content);
        }
    }

    record Step(Instant at, Set<String> touched, Map<String, State> states) {
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Remote remote(InMemoryObjectStore store) {
        return Remote.of(store, PREFIX).withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(5))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(100)));
    }

    static FsConfig cfg(Path dir) {
        return FsConfig.defaults(dir).withIndexSize(10_000, 100_000);
    }

    /** Runs {@code n} random operations; returns the model after each. */
    List<Step> history(InMemoryObjectStore store, long seed, int n) throws Exception {
        Random rnd = new Random(seed);
        Map<String, State> model = new LinkedHashMap<>();
        List<Step> steps = new ArrayList<>();
        LocalFileSystem fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("machine-a"))), remote(store));
        try {
            fs.mkdir("/d", 0755, Caller.ROOT);
            for (int i = 0; i < n; i++) {
                if (i == n / 2) {
                    fs.close(); // a clean unmount (checkpoint at the head), then another machine carries on
                    fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("machine-b"))), remote(store));
                }
                Set<String> touched = step(fs, model, rnd);
                fs.flushToBucket(Duration.ofSeconds(30));
                steps.add(new Step(Instant.now(), touched, new LinkedHashMap<>(model)));
                Thread.sleep(2);
            }
        } finally {
            fs.close();
        }
        return steps;
    }

    /** One operation that is one write-log record, so that each lands in one segment. */
    static Set<String> step(LocalFileSystem fs, Map<String, State> model, Random rnd) throws FsException {
        String p = PATHS.get(rnd.nextInt(PATHS.size()));
        State s = model.get(p);
        if (s == null) {
            fs.release(fs.create(p, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT));
            model.put(p, new State(new byte[0], 0644));
            return Set.of(p);
        }
        switch (rnd.nextInt(6)) {
            case 0, 1 -> {
                byte[] data = new byte[1 + rnd.nextInt(150_000)];
                rnd.nextBytes(data);
                int off = rnd.nextInt(s.content().length + 1);
                long fh = fs.open(p, OpenFlags.O_RDWR);
                fs.write(fh, off, ByteBuffer.wrap(data));
                fs.release(fh);
                byte[] now = Arrays.copyOf(s.content(), Math.max(s.content().length, off + data.length));
                System.arraycopy(data, 0, now, off, data.length);
                model.put(p, new State(now, s.mode()));
                return Set.of(p);
            }
            case 2 -> {
                int size = s.content().length == 0 ? 10 : rnd.nextInt(s.content().length);
                fs.truncate(p, size);
                model.put(p, new State(Arrays.copyOf(s.content(), size), s.mode()));
                return Set.of(p);
            }
            case 3 -> {
                String q = PATHS.get(rnd.nextInt(PATHS.size()));
                if (q.equals(p)) {
                    return step(fs, model, rnd);
                }
                fs.rename(p, q, 0);
                model.put(q, model.remove(p));
                return Set.of(p, q);
            }
            case 4 -> {
                fs.unlink(p);
                model.remove(p);
                return Set.of(p);
            }
            default -> {
                int mode = s.mode() == 0644 ? 0600 : 0644;
                fs.chmod(p, mode);
                model.put(p, new State(s.content(), mode));
                return Set.of(p);
            }
        }
    }

    FileHistory open(InMemoryObjectStore store, String name) throws Exception {
        return FileHistory.open(store, PREFIX, cfg(Files.createDirectories(tmp.resolve(name))));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void versionsAndReadsAtEachTimeMatchTheModel(long seed) throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        List<Step> steps = history(store, seed, 24);
        int walk = 0;
        for (String p : PATHS) {
            List<FileHistory.Version> versions;
            try (FileHistory h = open(store, "versions-" + walk++)) {
                versions = h.versions(p);
            }
            List<Step> touching = steps.stream().filter(s -> s.touched().contains(p)).toList();
            assertThat(versions).as(p + " " + versions).hasSize(touching.size());
            for (int i = 0; i < versions.size(); i++) {
                FileHistory.Version v = versions.get(i);
                State expected = touching.get(i).states().get(p);
                assertThat(v.exists()).as(p + " version " + i).isEqualTo(expected != null);
                if (expected != null) {
                    assertThat(v.size()).isEqualTo(expected.content().length);
                    assertThat(v.sha256()).isEqualTo(expected.sha());
                }
                assertThat(v.time()).isBeforeOrEqualTo(touching.get(i).at());
                assertThat(v.operations()).isNotEmpty();
            }
        }
        // cat --at every recorded time, for every path: the model's bytes, or "no such file".
        for (int i = 0; i < steps.size(); i += 3) {
            Step s = steps.get(i);
            for (String p : PATHS) {
                State expected = s.states().get(p);
                try (FileHistory h = open(store, "at-" + walk++)) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    if (expected == null) {
                        assertThatThrownBy(() -> h.readAt(p, s.at(), out)).isInstanceOf(FsException.NotFound.class);
                    } else {
                        FileHistory.Version v = h.readAt(p, s.at(), out);
                        assertThat(out.toByteArray()).as(p + " at step " + i).isEqualTo(expected.content());
                        assertThat(v.sha256()).isEqualTo(expected.sha());
                    }
                }
            }
        }
    }

    @Test
    void pointInTimeViewsMatchTheModel() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        List<Step> steps = history(store, 5, 12);
        for (int i = 0; i < steps.size(); i += 2) {
            Step s = steps.get(i);
            try (LocalFileSystem view = LocalFileSystem.openReadOnlyAt(cfg(Files.createDirectories(tmp.resolve("view-" + i))),
                    remote(store), s.at())) {
                for (String p : PATHS) {
                    State expected = s.states().get(p);
                    if (expected == null) {
                        assertThatThrownBy(() -> view.getattr(p)).as(p + " at step " + i).isInstanceOf(FsException.NotFound.class);
                        continue;
                    }
                    long fh = view.open(p, OpenFlags.O_RDONLY);
                    ByteBuffer b = ByteBuffer.allocate(expected.content().length);
                    while (b.hasRemaining() && view.read(fh, b.position(), b) > 0) {
                        // keep reading
                    }
                    view.release(fh);
                    assertThat(b.array()).as(p + " at step " + i).isEqualTo(expected.content());
                    assertThat(view.getattr(p).mode() & 07777).isEqualTo(expected.mode());
                }
                assertThatThrownBy(() -> view.mkdir("/new", 0755, Caller.ROOT)).hasMessageContaining("as of " + s.at());
            }
        }
    }

    @Test
    void restoreRoundTripsByteExactlyAsANewVersion() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] first = new byte[3_000_000];
        new Random(7).nextBytes(first);
        State old = new State(first, 0640);
        Instant pickedAt;
        try (LocalFileSystem fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("machine-a"))), remote(store))) {
            fs.mkdir("/d", 0755, Caller.ROOT);
            long fh = fs.create("/a", 0640, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
            fs.write(fh, 0, ByteBuffer.wrap(first));
            fs.release(fh);
            fs.flushToBucket(Duration.ofSeconds(30));
            pickedAt = Instant.now();
            Thread.sleep(2);
            fs.truncate("/a", 10); // "ransomware": the content is replaced
            fs.chmod("/a", 0600);
            fs.flushToBucket(Duration.ofSeconds(30));
        }
        Step pick = new Step(pickedAt, Set.of("/a"), Map.of("/a", old));
        try (FileHistory h = open(store, "restore-1");
             LocalFileSystem fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("machine-c"))), remote(store))) {
            FileHistory.Version v = Restorer.restore(h, "/a", pick.at(), fs, "/d/restored");
            assertThat(v.sha256()).isEqualTo(old.sha());
            assertThat(fs.getattr("/d/restored").mode() & 07777).isEqualTo(old.mode());
        }
        try (FileHistory h = open(store, "restore-2")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            h.readAt("/d/restored", Instant.now(), out);
            assertThat(out.toByteArray()).isEqualTo(old.content());
        }
        // Restoring in place makes a new version; the ones in between stay.
        List<FileHistory.Version> before;
        try (FileHistory h = open(store, "restore-3")) {
            before = h.versions("/a");
        }
        try (FileHistory h = open(store, "restore-4");
             LocalFileSystem fs = LocalFileSystem.open(cfg(tmp.resolve("machine-c")), remote(store))) {
            Restorer.restore(h, "/a", pick.at(), fs, "/a");
        }
        try (FileHistory h = open(store, "restore-5")) {
            List<FileHistory.Version> after = h.versions("/a");
            assertThat(after.subList(0, before.size())).isEqualTo(before);
            assertThat(after.get(after.size() - 1).sha256()).isEqualTo(old.sha());
            assertThat(after.get(after.size() - 1).operations()).contains("link");
        }
        // Nothing left behind under a temporary name.
        try (FileHistory h = open(store, "restore-6")) {
            assertThat(h.versions("/d/restored")).hasSize(1);
        }
    }

    /** One mutation made on behalf of {@code caller}, then shipped so that it is a version of its own. */
    interface Op {
        void run(LocalFileSystem fs, Caller caller) throws Exception;
    }

    @Test
    void everyMutationRecordsItsCallersUidAndPid() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        // path whose newest version the op makes -> the op; each runs with its own caller (uid 1000 + i, pid 7000 + i)
        List<Map.Entry<String, Op>> ops = List.of(
                Map.entry("/f", (fs, c) -> fs.release(fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, c))),
                Map.entry("/f", (fs, c) -> {
                    long fh = fs.open("/f", OpenFlags.O_RDWR, c);
                    fs.write(fh, 0, ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}), c);
                    fs.release(fh, c);
                }),
                Map.entry("/f", (fs, c) -> fs.truncate("/f", 4, c)),
                Map.entry("/f", (fs, c) -> {
                    long fh = fs.open("/f", OpenFlags.O_RDWR, c);
                    fs.truncate(fh, 3, c);
                    fs.release(fh, c);
                }),
                Map.entry("/f", (fs, c) -> fs.release(fs.open("/f", OpenFlags.O_RDWR | OpenFlags.O_TRUNC, c), c)),
                Map.entry("/f", (fs, c) -> fs.chmod("/f", 0600, c)),
                Map.entry("/f", (fs, c) -> fs.chown("/f", 42, 43, c)),
                Map.entry("/f", (fs, c) -> fs.utimens("/f", 1_000_000_000L, 2_000_000_000L, c)),
                Map.entry("/f", (fs, c) -> fs.setxattr("/f", "user.study", new byte[] {9}, 0, c)),
                Map.entry("/f", (fs, c) -> fs.removexattr("/f", "user.study", c)),
                Map.entry("/g", (fs, c) -> fs.link("/f", "/g", c)),
                Map.entry("/h", (fs, c) -> fs.rename("/f", "/h", 0, c)),
                Map.entry("/g", (fs, c) -> fs.unlink("/g", c)),
                Map.entry("/d", (fs, c) -> fs.mkdir("/d", 0755, c)),
                Map.entry("/d", (fs, c) -> fs.rmdir("/d", c)),
                Map.entry("/h", (fs, c) -> {
                    long fh = fs.open("/h", OpenFlags.O_RDONLY, Caller.ROOT);
                    fs.unlink("/h", Caller.ROOT);
                    fs.release(fh, c); // the last close of an unlinked file removes it: that is the caller's doing
                }));
        List<Caller> callers = new ArrayList<>();
        try (LocalFileSystem fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("callers"))), remote(store))) {
            for (int i = 0; i < ops.size(); i++) {
                Caller c = new Caller(1000 + i, 100, 7000 + i);
                callers.add(c);
                ops.get(i).getValue().run(fs, c);
                fs.flushToBucket(Duration.ofSeconds(30));
            }
        }
        Map<String, List<FileHistory.Version>> versions = new LinkedHashMap<>();
        for (String p : List.of("/f", "/g", "/h", "/d")) {
            try (FileHistory h = open(store, "history-of" + p)) { // one walk per path, as `pacsfs versions` does
                versions.put(p, h.versions(p));
            }
        }
        for (int i = 0; i < ops.size(); i++) {
            String path = ops.get(i).getKey();
            Caller c = callers.get(i);
            assertThat(versions.get(path)).as("op %d on %s: %s", i, path, versions.get(path))
                    .anySatisfy(v -> assertThat(List.of(v.uid(), v.pid())).isEqualTo(List.of(c.uid(), c.pid())));
        }
    }

    @Test
    void beforeTheFirstSegmentNothingExists() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Instant before = Instant.now();
        Thread.sleep(2);
        history(store, 9, 3);
        try (FileHistory h = open(store, "early")) {
            assertThatThrownBy(() -> h.readAt("/a", before.minusSeconds(3600), new ByteArrayOutputStream()))
                    .isInstanceOf(FsException.NotFound.class).hasMessageContaining("holds nothing that old");
        }
    }

    @Test
    void timesParseInTheirDocumentedFormsOnly() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        assertThat(PointInTime.parse("2025-06-01T12:00:00Z", berlin)).isEqualTo(Instant.parse("2025-06-01T12:00:00Z"));
        assertThat(PointInTime.parse("2025-06-01T14:00:00+02:00", berlin)).isEqualTo(Instant.parse("2025-06-01T12:00:00Z"));
        assertThat(PointInTime.parse("2025-06-01T14:00", berlin)).isEqualTo(Instant.parse("2025-06-01T12:00:00Z"));
        assertThat(PointInTime.parse("2025-06-01 14:00:00.5", berlin)).isEqualTo(Instant.parse("2025-06-01T12:00:00.5Z"));
        assertThatThrownBy(() -> PointInTime.parse("yesterday", berlin)).hasMessageContaining("accepted: an ISO-8601 instant")
                .hasMessageContaining("Europe/Berlin");
        assertThatThrownBy(() -> PointInTime.parse("2025-06-01", berlin)).hasMessageContaining("a date alone is ambiguous");
    }
}
