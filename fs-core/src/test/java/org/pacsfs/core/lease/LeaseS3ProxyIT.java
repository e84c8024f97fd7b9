package org.pacsfs.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * The lease against a real S3 server process, through two independent clients (two "hosts"), with
 * the real clock and short timings (2 s lease, renewal every 333 ms). Races are not tested here:
 * S3Proxy's If-Match is not atomic (docs/DECISIONS.md); {@link LeaseRaceTest} covers them.
 */
@WithS3Proxy
class LeaseS3ProxyIT {

    private static final String KEY = "lease";

    private ObjectStore hostA;
    private ObjectStore hostB;
    private final LeaseConfig configA = LeaseConfig.defaults().withHostName("host-a")
            .withTimingsScaledTo(Duration.ofSeconds(4)); // renewals every 666 ms: slack for a slow S3Proxy on a loaded machine
    private final LeaseConfig configB = configA.withHostName("host-b");

    @BeforeEach
    void stores(S3TestBucket bucket) {
        hostA = bucket.newStore(c -> c.prefix("fs1/"));
        hostB = bucket.newStore(c -> c.prefix("fs1/"));
    }

    @Test
    void acquireRenewRefuseRelease() throws Exception {
        Lease a = Lease.acquire(hostA, KEY, configA, false);
        LeaseRecord first = Lease.read(hostB, KEY);
        assertThat(first).isEqualTo(a.record());
        assertThat(first.epoch()).isEqualTo(1);

        assertThatThrownBy(() -> Lease.acquire(hostB, KEY, configB, false))
                .isInstanceOfSatisfying(LeaseHeldException.class, e -> assertThat(e.expired()).isFalse())
                .hasMessageContaining("held by host host-a (owner " + first.ownerId() + ", epoch 1)")
                .hasMessageContaining("expires at " + first.expiresAt());

        // The background renewal moves the expiry forward, well past the first one.
        waitFor(() -> Lease.read(hostB, KEY).expiresAt().isAfter(first.expiresAt().plusSeconds(2)));
        assertThat(a.state()).isEqualTo(Lease.State.HELD);
        assertThat(a.status().consecutiveFailures()).isZero();
        assertThat(Lease.read(hostB, KEY).acquiredAt()).isEqualTo(first.acquiredAt());
        assertThatThrownBy(() -> Lease.acquire(hostB, KEY, configB, false))
                .isInstanceOf(LeaseHeldException.class);

        assertThat(a.release()).isTrue();
        assertThat(Lease.read(hostB, KEY).state()).isEqualTo(LeaseRecord.State.RELEASED);
        try (Lease b = Lease.acquire(hostB, KEY, configB, false)) {
            assertThat(b.record().epoch()).isEqualTo(2);
            assertThat(Lease.read(hostA, KEY)).isEqualTo(b.record());
        }
        assertThat(Lease.read(hostA, KEY).state()).isEqualTo(LeaseRecord.State.RELEASED);
    }

    @Test
    void takeOverMakesTheHolderLoseTheLeaseAtItsNextRenewal() throws Exception {
        Lease a = Lease.acquire(hostA, KEY, configA, false);
        var lost = new CountDownLatch(1);
        var calls = new AtomicInteger();
        a.addLostListener(e -> {
            calls.incrementAndGet();
            lost.countDown();
        });
        try (Lease b = Lease.acquire(hostB, KEY, configB, true)) {
            assertThat(b.record().epoch()).isEqualTo(2);
            assertThat(lost.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(a.state()).isEqualTo(Lease.State.LOST);
            assertThatThrownBy(a::checkHeld).isInstanceOf(LeaseLostException.class)
                    .hasMessageContaining("taken over by host host-b");
            assertThat(a.release()).isFalse();
            Thread.sleep(1400); // two more renewal periods of b
            assertThat(calls).hasValue(1);
            assertThat(b.state()).isEqualTo(Lease.State.HELD);
            assertThat(Lease.read(hostA, KEY).ownerId()).isEqualTo(b.record().ownerId());
        }
    }

    @Test
    void aCorruptLeaseIsRefusedAndReplacedOnRequest() {
        hostA.put(KEY, "{\"owner\":\"someone\"}".getBytes(StandardCharsets.UTF_8), PutCondition.none());
        assertThatThrownBy(() -> Lease.acquire(hostA, KEY, configA, false))
                .isInstanceOf(LeaseCorruptException.class)
                .hasMessageContaining("is unreadable: it does not start with 'pacsfs-lease <version>'")
                .hasMessageContaining("--take-over");
        try (Lease a = Lease.acquire(hostA, KEY, configA, true)) {
            assertThat(Lease.read(hostB, KEY)).isEqualTo(a.record());
        }
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within 10 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
