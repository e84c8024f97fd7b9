package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.lease.Lease;
import org.pacsfs.core.store.FaultInjectingObjectStore;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;

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

    @TempDir
    Path reader;

    @Test
    void readRetriesCountTheChunkGetsRepeatedAfterTransientErrors() throws Exception {
        InMemoryObjectStore memory = new InMemoryObjectStore();
        byte[] data = ShipTestSupport.pattern(2, 0, 3 << 20);
        try (LocalFileSystem fs = LocalFileSystem.open(ShippingOutageTest.cfg(dir), ShippingOutageTest.remote(memory, "host-a"))) {
            ShipTestSupport.writeFile(fs, "/big", data, 128 << 10);
            fs.flushToBucket(Duration.ofSeconds(30));
        }
        // Another machine, empty cache: every chunk is a GET, and the first GET of each chunk fails transiently.
        java.util.Set<String> failed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ObjectStore flaky = new ForwardingObjectStore(memory) {
            @Override
            public ObjectData get(String key) {
                if (key.contains("chunks/") && failed.add(key)) {
                    throw new ObjectStoreException.Transient("GET " + key + ": injected throttling", 503, "SlowDown", null, null);
                }
                return super.get(key);
            }
        };
        try (LocalFileSystem fs = LocalFileSystem.openReadOnly(ShippingOutageTest.cfg(reader), ShippingOutageTest.remote(flaky, "host-b"))) {
            assertThat(fs.readRetries()).isZero();
            assertThat(ShipTestSupport.readAll(fs, "/big")).isEqualTo(data);
            assertThat(failed).isNotEmpty();
            assertThat(fs.readRetries()).isEqualTo(failed.size());
            assertThat(fs.leaseStatus()).isNull();
            assertThat(fs.shipperState()).isEqualTo(LocalFileSystem.ShipperState.NONE);
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
