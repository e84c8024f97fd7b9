package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.InMemoryObjectStore;

/** A takeover leaves the former writer's unshipped changes in its state directory; they are recovered into lost+found. */
class LostAndFoundTest {
    @TempDir
    Path dir;

    static Remote slow(InMemoryObjectStore store) {
        return Remote.of(store, "").withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMinutes(10)));
    }

    @Test
    void unshippedChangesOfAFormerWriterLandInLostAndFound() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] shipped = RemoteShippingTest.random(200_000, 1);
        byte[] late = RemoteShippingTest.random(300_000, 2);
        LocalFileSystem a = LocalFileSystem.open(RemoteShippingTest.cfg(dir.resolve("a")), slow(store));
        a.mkdir("/study", 0755, Caller.ROOT);
        RemoteShippingTest.write(a, "/study/shipped.dcm", shipped, 65536);
        a.flushToBucket(Duration.ofMinutes(1));
        RemoteShippingTest.write(a, "/study/late.dcm", late, 65536);
        long fh = a.open("/study/shipped.dcm", OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        a.write(fh, 0, ByteBuffer.wrap("appended".getBytes(StandardCharsets.UTF_8)));
        a.release(fh);
        a.symlink("late.dcm", "/study/newest", Caller.ROOT);
        a.syncAll();
        a.crashForTesting(); // host A is gone, its last changes only in its write-log

        try (LocalFileSystem b = LocalFileSystem.open(RemoteShippingTest.cfg(dir.resolve("b")), slow(store).withTakeOver(true))) {
            assertThatThrownBy(() -> b.getattr("/study/late.dcm")).isInstanceOf(FsException.NotFound.class);
            RemoteShippingTest.write(b, "/study/from-b", new byte[] {1}, 1);
        }
        LostAndFound.Result r = LostAndFound.recover(dir.resolve("a"), RemoteShippingTest.cfg(dir.resolve("c")), slow(store), "hostA");
        assertThat(r.files()).isEqualTo(2);
        assertThat(r.symlinks()).isEqualTo(1);
        try (LocalFileSystem c = LocalFileSystem.open(RemoteShippingTest.cfg(dir.resolve("d")), slow(store))) {
            assertThat(RemoteShippingTest.readAll(c, r.directory() + "/study/late.dcm")).isEqualTo(late);
            byte[] appended = RemoteShippingTest.readAll(c, r.directory() + "/study/shipped.dcm");
            assertThat(appended).hasSize(shipped.length + 8);
            assertThat(new String(appended, shipped.length, 8, StandardCharsets.UTF_8)).isEqualTo("appended");
            assertThat(c.readlink(r.directory() + "/study/newest")).isEqualTo("late.dcm");
            assertThat(RemoteShippingTest.readAll(c, "/study/shipped.dcm")).isEqualTo(shipped); // the live tree is untouched
            assertThat(c.getattr("/study/from-b").size()).isEqualTo(1);
            assertThat(c.getattr(r.directory() + "/RECOVERED.txt").size()).isPositive();
        }
    }

    @Test
    void nothingToRecoverWhenEverythingWasShipped() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalFileSystem a = LocalFileSystem.open(RemoteShippingTest.cfg(dir.resolve("a")), slow(store))) {
            RemoteShippingTest.write(a, "/f", new byte[] {1, 2, 3}, 3);
        }
        LostAndFound.Result r = LostAndFound.recover(dir.resolve("a"), RemoteShippingTest.cfg(dir.resolve("c")), slow(store), "hostA");
        assertThat(r.files()).isZero();
        assertThat(r.directory()).isNull();
    }
}
