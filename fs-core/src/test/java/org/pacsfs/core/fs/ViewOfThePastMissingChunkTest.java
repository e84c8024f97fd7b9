package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;

/**
 * A chunk missing from the bucket means lost data in the live filesystem, but in a view of the past (mount --read-only
 * --at) it is what pacsfs gc leaves once only history older than the retention needed the chunk: the read fails with
 * EIO either way, and the view says why.
 */
class ViewOfThePastMissingChunkTest {
    static final int W = OpenFlags.O_RDWR | OpenFlags.O_CREAT;

    @TempDir
    Path dir;

    @Test
    void aViewOfThePastSaysTheChunkIsNoLongerInTheBucketAndTheLiveViewDoesNot() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalFileSystem fs = LocalFileSystem.open(RemoteShippingTest.cfg(dir.resolve("writer")), RemoteShippingTest.remote(store))) {
            long fh = fs.create("/study.dcm", 0644, W, Caller.ROOT);
            fs.write(fh, 0, ByteBuffer.wrap(RemoteShippingTest.random(300 << 10, 5)));
            fs.release(fh);
            fs.flushToBucket(Duration.ofMinutes(1));
        }
        Instant at = Instant.now();
        List<String> chunks;
        try (var s = store.listAll("fs1/chunks/")) {
            chunks = s.map(ObjectInfo::key).collect(Collectors.toList());
        }
        assertThat(chunks).isNotEmpty();
        chunks.forEach(store::delete);

        try (LocalFileSystem view = LocalFileSystem.openReadOnlyAt(RemoteShippingTest.cfg(dir.resolve("view")),
                RemoteShippingTest.remote(store), at)) {
            assertThatThrownBy(() -> ShipTestSupport.readAll(view, "/study.dcm")).isInstanceOf(FsException.Io.class)
                    .hasMessageContaining("no longer in the bucket").hasMessageContaining("pacsfs gc");
        }
        try (LocalFileSystem live = LocalFileSystem.openReadOnly(RemoteShippingTest.cfg(dir.resolve("live")),
                RemoteShippingTest.remote(store))) {
            assertThatThrownBy(() -> ShipTestSupport.readAll(live, "/study.dcm")).isInstanceOf(FsException.Io.class)
                    .hasMessageNotContaining("pacsfs gc");
        }
    }
}
