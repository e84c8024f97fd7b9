package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.lease.Lease;
import org.pacsfs.core.store.FaultInjectingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;

/**
 * The figures a monitoring system reads from a running filesystem (walUsage, shipperState, leaseStatus,
 * chunksUploaded) follow what the filesystem does: unshipped bytes grow with writes held back by an outage and go to
 * 0 once shipped, the shipper says it is retrying during the outage, the lease is held.
 */
class MonitoringFiguresTest {

    @TempDir
    Path dir;

    @Test
    void figuresFollowWritesAnOutageAndTheDrain() throws Exception {
        InMemoryObjectStore memory = new InMemoryObjectStore();
        FaultInjectingObjectStore store = FaultInjectingObjectStore.builder(memory).seed(7).build();
        try (LocalFileSystem fs = LocalFileSystem.open(ShippingOutageTest.cfg(dir), ShippingOutageTest.remote(store, "host-a"))) {
            assertThat(fs.leaseStatus().state()).isEqualTo(Lease.State.HELD);
            fs.flushToBucket(Duration.ofSeconds(30)); // a new filesystem logs its root directory first
            assertThat(fs.walUsage().unshippedBytes()).isZero();
            assertThat(fs.walUsage().capacityBytes()).isPositive();

            store.setOutage(true);
            byte[] data = ShipTestSupport.pattern(1, 0, 300_000);
            ShipTestSupport.writeFile(fs, "/a", data, 64 << 10);
            LocalFileSystem.WalUsage held = fs.walUsage();
            assertThat(held.unshippedBytes()).isGreaterThanOrEqualTo(data.length);
            assertThat(held.unshippedRecords()).isPositive();
            assertThat(held.bytesHeld()).isGreaterThanOrEqualTo(held.unshippedBytes());
            awaitState(fs, LocalFileSystem.ShipperState.RETRYING);
            assertThat(fs.chunksUploaded()).isZero();

            store.setOutage(false);
            fs.flushToBucket(Duration.ofSeconds(30));
            awaitState(fs, LocalFileSystem.ShipperState.IDLE);
            assertThat(fs.walUsage().unshippedBytes()).isZero();
            assertThat(fs.walUsage().unshippedRecords()).isZero();
            assertThat(fs.chunksUploaded()).isPositive();
            assertThat(fs.shipStatus().retries()).isPositive();
        }
    }

    @Test
    void withoutABucketThereIsNoShipperAndNoLease() throws Exception {
        try (LocalFileSystem fs = LocalFileSystem.open(ShippingOutageTest.cfg(dir))) {
            ShipTestSupport.writeFile(fs, "/a", new byte[1000], 1000);
            assertThat(fs.shipperState()).isEqualTo(LocalFileSystem.ShipperState.NONE);
            assertThat(fs.leaseStatus()).isNull();
            assertThat(fs.walUsage().unshippedBytes()).isZero();
            assertThat(fs.walUsage().bytesHeld()).isPositive();
        }
    }

    private static void awaitState(LocalFileSystem fs, LocalFileSystem.ShipperState want) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (fs.shipperState() != want) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("shipper state stayed " + fs.shipperState() + ", expected " + want);
            }
            Thread.sleep(5);
        }
    }
}
