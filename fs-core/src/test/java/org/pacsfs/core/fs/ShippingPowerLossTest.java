package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.fs.model.PowerLossChannels;
import org.pacsfs.core.store.InMemoryObjectStore;

/**
 * The bucket never holds a record that the local write-log can lose: the flusher forces the records of a batch before
 * it writes the segment that names them. The application here never calls fsync, so the flusher's force is the only
 * one; after a power cut (unforced bytes of the log lost or torn) the machine must still mount, with everything the
 * bucket has. Were the records shipped unforced, the mount would refuse: the bucket would name LSNs the log no longer
 * holds, and new records would reuse them.
 */
class ShippingPowerLossTest {
    static final int W = OpenFlags.O_RDWR | OpenFlags.O_CREAT;

    @TempDir
    Path dir;

    @Test
    void everyShippedRecordSurvivesAPowerCutOfTheLocalDisk() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            Path machine = dir.resolve("m" + seed);
            InMemoryObjectStore store = new InMemoryObjectStore();
            PowerLossChannels disk = new PowerLossChannels();
            FsConfig cfg = RemoteShippingTest.cfg(machine).withWalTuning(c -> c.withChannelFactory(disk));
            LocalFileSystem fs = LocalFileSystem.open(cfg, RemoteShippingTest.remote(store));
            int files = 12;
            for (int i = 0; i < files; i++) {
                long fh = fs.create("/f" + i, 0644, W, Caller.ROOT);
                fs.write(fh, 0, ByteBuffer.wrap(RemoteShippingTest.random(96 << 10, seed * 100 + i)));
                fs.release(fh); // no fsync: nothing but the flusher forces the log
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (fs.shipStatus().shippedLsn() < fs.shipStatus().lastLsn()) {
                assertThat(System.nanoTime()).as("shipping did not finish within 30 s").isLessThan(deadline);
                Thread.sleep(10);
            }
            disk.powerCut();
            fs.crashForTesting();
            disk.restore(new Random(seed), seed % 2 == 0);

            try (LocalFileSystem again = LocalFileSystem.open(cfg, RemoteShippingTest.remote(store))) {
                for (int i = 0; i < files; i++) {
                    assertThat(ShipTestSupport.readAll(again, "/f" + i)).isEqualTo(RemoteShippingTest.random(96 << 10, seed * 100 + i));
                }
            }
        }
    }
}
