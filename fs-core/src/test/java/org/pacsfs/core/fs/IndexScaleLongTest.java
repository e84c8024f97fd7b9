package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index at 10 million files (issue 4's scale requirement), beyond its preallocation so that Chronicle's growth
 * is exercised: create, reopen cleanly (trusted index), look up samples, rebuild after a crash, and report the rates.
 * Runs only with {@code -Plong} (several minutes and about 3 GB of disk).
 */
@Tag("long")
class IndexScaleLongTest {
    static final int FILES = Integer.getInteger("pacsfs.scale.files", 10_000_000);
    static final int PER_DIR = 10_000;

    @TempDir
    Path dir;

    @Test
    void tenMillionFiles() throws Exception {
        FsConfig cfg = FsConfig.defaults(dir).withIndexSize(2_000_000, 100_000_000)
                .withWalTuning(c -> c.withCapacityBytes(16L << 30));
        long t0 = System.nanoTime();
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            for (int i = 0; i < FILES; i++) {
                if (i % PER_DIR == 0) {
                    fs.mkdir("/d" + (i / PER_DIR), 0755, Caller.ROOT);
                }
                fs.release(fs.create(path(i), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, Caller.ROOT));
            }
            assertThat(fs.inodeCount()).isEqualTo(1L + FILES + (FILES + PER_DIR - 1) / PER_DIR);
        }
        double createSec = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            assertThat(fs.recoveryInfo().indexTrusted()).isTrue();
            sample(fs);
            assertThat(fs.readdir(fs.opendir("/d7"), 0, PER_DIR + 10)).hasSize(PER_DIR + 2);
            fs.crashForTesting();
        }
        double reopenSec = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            assertThat(fs.recoveryInfo().indexTrusted()).isFalse();
            double rebuildSec = (System.nanoTime() - t0) / 1e9;
            sample(fs);
            System.out.printf("%d files: created in %.0f s (%.0f/s); clean reopen + checks %.1f s; rebuild after crash %.0f s (%.0f records/s)%n",
                    FILES, createSec, FILES / createSec, reopenSec, rebuildSec, fs.recoveryInfo().recordsReplayed() / rebuildSec);
        }
    }

    private static void sample(LocalFileSystem fs) throws FsException {
        Random r = new Random(42);
        for (int k = 0; k < 10_000; k++) {
            int i = r.nextInt(FILES);
            assertThat(fs.getattr(path(i)).size()).isZero();
        }
    }

    private static String path(int i) {
        return "/d" + (i / PER_DIR) + "/f" + i;
    }
}
