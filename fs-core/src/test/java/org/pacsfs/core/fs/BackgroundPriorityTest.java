package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.InMemoryObjectStore;

/**
 * The shipping threads really run at a higher nice value in LOCAL durability and at the normal one in REMOTE. The
 * nice value is read from {@code /proc/self/task/<tid>/stat} (field 19), not from the code under test.
 */
class BackgroundPriorityTest {

    @TempDir
    Path dir;

    @Test
    void aThreadFromTheFactoryRunsAtTheRequestedNiceValue() throws Exception {
        int base = niceOfThisThread();
        var seen = new CompletableFuture<int[]>();
        BackgroundPriority.daemonThreads("nice-probe", base + 7).newThread(() -> {
            try {
                seen.complete(new int[] {BackgroundPriority.currentNice(), niceOfThisThread()});
            } catch (IOException e) {
                seen.completeExceptionally(e);
            }
        }).start();
        int[] nice = seen.get(10, TimeUnit.SECONDS);
        assertThat(nice[1]).as("nice in /proc").isEqualTo(base + 7);
        assertThat(nice[0]).as("nice from getpriority").isEqualTo(base + 7);
        assertThat(niceOfThisThread()).as("the creating thread is unchanged").isEqualTo(base);
    }

    @Test
    void shippingThreadsAreNicedInLocalDurabilityOnly() throws Exception {
        int base = niceOfThisThread();
        assertThat(base).as("the test JVM must start at a nice value below 10").isLessThan(ShipConfig.DEFAULT_BACKGROUND_NICE);
        assertThat(shippingThreadNice(ShipConfig.Durability.LOCAL, dir.resolve("local")))
                .containsEntry("pacsfs-flusher", ShipConfig.DEFAULT_BACKGROUND_NICE)
                .containsEntry("pacsfs-upload", ShipConfig.DEFAULT_BACKGROUND_NICE);
        assertThat(shippingThreadNice(ShipConfig.Durability.REMOTE, dir.resolve("remote")))
                .containsEntry("pacsfs-flusher", base)
                .containsEntry("pacsfs-upload", base);
    }

    /** Opens a filesystem, ships a file (so upload threads exist) and returns the nice value of each shipping thread name. */
    private static Map<String, Integer> shippingThreadNice(ShipConfig.Durability durability, Path state) throws Exception {
        Remote remote = Remote.of(new InMemoryObjectStore(), "fs/").withShip(ShipConfig.defaults().withDurability(durability)
                .withFlushDelay(Duration.ofMillis(10)).withBackgroundNice(ShipConfig.DEFAULT_BACKGROUND_NICE));
        java.util.Set<String> before = taskIds();
        try (LocalFileSystem fs = LocalFileSystem.open(FsConfig.defaults(state).withIndexSize(1_000, 10_000), remote)) {
            long h = fs.create("/f", 0644, ShipTestSupport.W, Caller.ROOT);
            fs.write(h, 0, java.nio.ByteBuffer.wrap(new byte[200_000]));
            fs.fsync(h, false);
            fs.release(h);
            fs.flushToBucket(Duration.ofSeconds(30));
            Map<String, Integer> nice = new HashMap<>();
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : (Iterable<Path>) tasks::iterator) {
                    if (before.contains(t.getFileName().toString())) {
                        continue; // a thread of an earlier filesystem, still winding down
                    }
                    String comm = readOrNull(t.resolve("comm"));
                    if (comm != null && (comm.equals("pacsfs-flusher") || comm.equals("pacsfs-upload"))) {
                        nice.merge(comm, niceOf(t), Math::max);
                    }
                }
            }
            return nice;
        }
    }

    private static java.util.Set<String> taskIds() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.map(t -> t.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }

    private static String readOrNull(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return null; // the thread ended meanwhile
        }
    }

    private static int niceOfThisThread() throws IOException {
        return niceOf(Path.of("/proc/thread-self"));
    }

    private static int niceOf(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"));
        // fields after the command name, which is in parentheses and may contain spaces: state is field 3, nice 19
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[19 - 3]);
    }
}
