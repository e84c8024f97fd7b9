package org.pacsfs.core.lease;

import org.pacsfs.core.store.ForwardingObjectStore;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.PutCondition;

/**
 * Contenders racing for the lease on the in-memory store (whose conditional puts are atomic, unlike
 * S3Proxy's If-Match): exactly one wins, every other one is refused, every time.
 */
class LeaseRaceTest {

    private static final String KEY = "lease";
    private static final Instant START = Instant.parse("2025-01-01T00:00:00Z");
    private static final int ROUNDS = 300;

    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void twoContendersForAnAbsentLease() throws Exception {
        race(2, false, false, false);
    }

    @Test
    void fourContendersForAnAbsentLease() throws Exception {
        race(4, false, false, false);
    }

    /** Every contender reads before any writes: without compare-and-set all would "win". */
    @Test
    void contendersThatAllReadBeforeAnyWrites() throws Exception {
        race(3, false, false, true);
    }

    @Test
    void contendersTakingOverAnExpiredLease() throws Exception {
        // Gated: a contender reading after the winner's put would see an unexpired lease, which
        // --take-over also takes (by design), so only contenders that saw the same state can race.
        race(3, true, true, true);
    }

    @Test
    void contendersForAReleasedLease() throws Exception {
        race(3, true, false, true);
    }

    /**
     * @param existing        whether a lease exists at the start (expired if {@code takeOver}, else released)
     * @param takeOver        whether the contenders ask to take over
     * @param readBeforeWrite hold every contender after its first read until all have read
     */
    private void race(int contenders, boolean existing, boolean takeOver, boolean readBeforeWrite) throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            var mem = new InMemoryObjectStore();
            var sched = new ManualScheduler(START);
            long oldEpoch = 0;
            if (existing) {
                oldEpoch = 1 + round;
                var old = new LeaseRecord("00000000-0000-4000-8000-00000000000a", "host-old", oldEpoch,
                        START.minusSeconds(600), START.minusSeconds(60),
                        takeOver ? LeaseRecord.State.HELD : LeaseRecord.State.RELEASED);
                mem.put(KEY, LeaseCodec.encode(old), PutCondition.none());
            }
            ObjectStore store = readBeforeWrite ? new ReadGate(mem, contenders) : mem;
            var start = new CyclicBarrier(contenders);
            List<Future<Lease>> results = new ArrayList<>();
            for (int c = 0; c < contenders; c++) {
                var config = LeaseConfig.defaults().withHostName("host-" + c);
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        return Lease.acquire(store, KEY, config, takeOver, sched.clock(), sched);
                    } catch (LeaseHeldException e) {
                        assertThat(e.expired()).isFalse();
                        assertThat(e.holder().host()).startsWith("host-").isNotEqualTo(config.hostName());
                        if (readBeforeWrite) {
                            assertThat(e.getMessage())
                                    .contains("It was taken by that mount while this one was acquiring");
                        }
                        return null;
                    }
                }));
            }
            List<Lease> winners = new ArrayList<>();
            for (var f : results) {
                Lease l = f.get(30, TimeUnit.SECONDS);
                if (l != null) {
                    winners.add(l);
                }
            }
            assertThat(winners).as("round %d", round).hasSize(1);
            LeaseRecord won = winners.get(0).record();
            assertThat(LeaseCodec.decode(mem.get(KEY).bytes(), "test")).isEqualTo(won);
            assertThat(won.epoch()).isEqualTo(oldEpoch + 1);
            // The winner renews; nobody else's renewal was ever scheduled.
            assertThat(sched.pending()).isEqualTo(1);
            sched.advance(Duration.ofSeconds(10));
            assertThat(winners.get(0).state()).isEqualTo(Lease.State.HELD);
        }
    }

    /** Holds each thread after its first get until {@code parties} threads have done their first get. */
    private static final class ReadGate extends ForwardingObjectStore {
        private final ObjectStore delegate;
        private final CyclicBarrier barrier;
        private final ThreadLocal<Boolean> passed = ThreadLocal.withInitial(() -> false);

        ReadGate(ObjectStore delegate, int parties) {
             super(delegate);
            this.delegate = delegate;
            this.barrier = new CyclicBarrier(parties);
        }

        @Override
        public ObjectData get(String key) {
            try {
                return delegate.get(key);
            } finally {
                if (!passed.get()) {
                    passed.set(true);
                    try {
                        barrier.await(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new AssertionError("contenders did not all read", e);
                    }
                }
            }
        }








    }
}
