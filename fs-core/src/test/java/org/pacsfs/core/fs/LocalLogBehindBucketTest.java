package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pacsfs.core.fs.RemoteShippingTest.cfg;
import static org.pacsfs.core.fs.RemoteShippingTest.random;
import static org.pacsfs.core.fs.RemoteShippingTest.readAll;
import static org.pacsfs.core.fs.RemoteShippingTest.remote;
import static org.pacsfs.core.fs.RemoteShippingTest.write;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.InMemoryObjectStore;

/**
 * A local write-log that ends before what the bucket already holds of it (a disk that lost forced writes, or an older
 * copy of the state directory) is refused with a message that says what happened and what to do, instead of an
 * internal error from releasing LSNs the log does not have.
 */
class LocalLogBehindBucketTest {
    @TempDir
    Path machineA;
    @TempDir
    Path olderCopy;
    @TempDir
    Path machineB;

    @Test
    void aStateDirectoryOlderThanTheBucketIsRefusedClearlyAndAnEmptyOneSeesEverything() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store));
        write(a, "/first", random(20_000, 1), 4096);
        a.syncAll();
        a.crashForTesting();
        copy(machineA, olderCopy);
        try (LocalFileSystem again = LocalFileSystem.open(cfg(machineA), remote(store))) {
            write(again, "/second", random(20_000, 2), 4096);
            again.flushToBucket(Duration.ofMinutes(1));
        }
        try (Stream<Path> s = Files.walk(machineA)) {
            for (Path p : s.sorted((x, y) -> y.getNameCount() - x.getNameCount()).toList()) {
                if (!p.equals(machineA)) {
                    Files.delete(p);
                }
            }
        }
        copy(olderCopy, machineA);
        assertThatThrownBy(() -> LocalFileSystem.open(cfg(machineA), remote(store))).isInstanceOf(FsException.Io.class)
                .hasMessageContaining("the bucket holds this machine's write-log up to LSN")
                .hasMessageContaining("move the state directory aside");
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(store).withTakeOver(true))) {
            assertThat(readAll(b, "/first")).isEqualTo(random(20_000, 1));
            assertThat(readAll(b, "/second")).isEqualTo(random(20_000, 2));
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
