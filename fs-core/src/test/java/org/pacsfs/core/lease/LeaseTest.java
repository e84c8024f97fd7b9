package org.pacsfs.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.FaultInjectingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;

class LeaseTest {

    private static final String KEY = "fs1/lease";
    private static final Instant START = Instant.parse("2025-01-01T00:00:00Z");

    private final InMemoryObjectStore mem = new InMemoryObjectStore();
    private final ManualScheduler sched = new ManualScheduler(START);
    private final LeaseConfig configA = LeaseConfig.defaults().withHostName("host-a");
    private final LeaseConfig configB = LeaseConfig.defaults().withHostName("host-b");

    private Lease acquire(ObjectStore store, LeaseConfig config, boolean takeOver) {
        return Lease.acquire(store, KEY, config, takeOver, sched.clock(), sched);
    }

    private LeaseRecord stored() {
        return LeaseCodec.decode(mem.get(KEY).bytes(), "test");
    }

    /** A lease left behind by a mount that crashed {@code ago} after its last renewal. */
    private LeaseRecord crashedHolder(long epoch, Duration expiredAgo) {
        var r = new LeaseRecord("00000000-0000-4000-8000-00000000000a", "host-old", epoch,
                START.minus(Duration.ofHours(1)), START.minus(expiredAgo), LeaseRecord.State.HELD);
        mem.put(KEY, LeaseCodec.encode(r), PutCondition.none());
        return r;
    }

    @Test
    void acquiresAnAbsentLeaseAndSchedulesRenewal() {
        Lease a = acquire(mem, configA, false);
        assertThat(a.state()).isEqualTo(Lease.State.HELD);
        a.checkHeld();
        LeaseRecord r = a.record();
        assertThat(r.epoch()).isEqualTo(1);
        assertThat(r.host()).isEqualTo("host-a");
        assertThat(r.acquiredAt()).isEqualTo(START);
        assertThat(r.expiresAt()).isEqualTo(START.plusSeconds(60));
        assertThat(stored()).isEqualTo(r);
        assertThat(a.etag()).isEqualTo(mem.get(KEY).etag());
        assertThat(sched.pending()).isEqualTo(1);
    }

    @Test
    void aSecondWriterIsRefusedWithTheHolderAndExpiry() {
        Lease a = acquire(mem, configA, false);
        String etag = mem.get(KEY).etag();
        sched.advance(Duration.ofSeconds(5));
        assertThatThrownBy(() -> acquire(mem, configB, false))
                .isInstanceOfSatisfying(LeaseHeldException.class, e -> {
                    assertThat(e.expired()).isFalse();
                    assertThat(e.holder()).isEqualTo(a.record());
                })
                .hasMessageContaining("in use by another writer")
                .hasMessageContaining("host host-a (owner " + a.record().ownerId() + ", epoch 1)")
                .hasMessageContaining("expires at 2025-01-01T00:01:00Z (in 55 s) unless renewed")
                .hasMessageContaining("A second writer is refused")
                .hasMessageNotContaining("That is this host");
        assertThat(mem.get(KEY).etag()).isEqualTo(etag);
        assertThat(a.state()).isEqualTo(Lease.State.HELD);
    }

    @Test
    void aSecondMountOnTheSameHostIsRefusedToo() {
        acquire(mem, configA, false);
        assertThatThrownBy(() -> acquire(mem, configA, false))
                .isInstanceOf(LeaseHeldException.class)
                .hasMessageContaining("That is this host: another pacsfs process here holds it");
    }

    @Test
    void anExpiredLeaseIsRefusedWithoutTakeOver() {
        LeaseRecord old = crashedHolder(4, Duration.ofMinutes(5));
        assertThatThrownBy(() -> acquire(mem, configB, false))
                .isInstanceOfSatisfying(LeaseHeldException.class, e -> assertThat(e.expired()).isTrue())
                .hasMessageContaining("host host-old (owner " + old.ownerId() + ", epoch 4)")
                .hasMessageContaining("EXPIRED at 2024-12-31T23:55:00Z (5 min ago) without being released")
                .hasMessageContaining("mount with --take-over");
        assertThat(stored()).isEqualTo(old);
    }

    @Test
    void anExpiredLeaseIsTakenOverOnRequestWithTheNextEpoch() {
        LeaseRecord old = crashedHolder(4, Duration.ofMinutes(5));
        Lease b = acquire(mem, configB, true);
        assertThat(b.record().epoch()).isEqualTo(5);
        assertThat(b.record().ownerId()).isNotEqualTo(old.ownerId());
        assertThat(stored()).isEqualTo(b.record());
    }

    @Test
    void takeOverOfAnUnexpiredLeaseIsAllowedAndTheHolderLosesItAtItsNextRenewal() {
        Lease a = acquire(mem, configA, false);
        var calls = new AtomicInteger();
        var seen = new ArrayList<LeaseLostException>();
        a.addLostListener(e -> {
            calls.incrementAndGet();
            seen.add(e);
        });
        sched.advance(Duration.ofSeconds(3));
        Lease b = acquire(mem, configB, true);
        assertThat(b.record().epoch()).isEqualTo(2);
        assertThat(a.state()).isEqualTo(Lease.State.HELD); // it does not know yet
        sched.advance(Duration.ofSeconds(7)); // a's renewal at t=10s: 412
        assertThat(a.state()).isEqualTo(Lease.State.LOST);
        assertThat(calls).hasValue(1);
        assertThat(seen.get(0).getMessage())
                .contains("LOST by this mount (host host-a", "taken over by host host-b (owner "
                        + b.record().ownerId() + ", epoch 2)", "must stop writing");
        assertThatThrownBy(a::checkHeld).isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("taken over by host host-b");
        assertThat(a.status().lostReason()).contains("taken over");

        int executed = sched.executed();
        sched.advance(Duration.ofMinutes(5)); // only b renews from now on
        assertThat(calls).hasValue(1);
        assertThat(sched.executed() - executed).isEqualTo(30);
        assertThat(b.state()).isEqualTo(Lease.State.HELD);
        assertThat(stored()).isEqualTo(b.record());
        assertThat(b.record().expiresAt()).isEqualTo(sched.now().plusSeconds(60 - 7)); // renewed at 303 s

        var late = new AtomicInteger();
        a.addLostListener(e -> late.incrementAndGet());
        assertThat(late).hasValue(1);
        assertThat(calls).hasValue(1);
    }

    @Test
    void renewalKeepsTheLeaseAlive() {
        var store = new ScriptedStore(mem);
        Lease a = acquire(store, configA, false);
        for (int i = 0; i < 60; i++) {
            sched.advance(Duration.ofSeconds(10));
            assertThat(stored().expiresAt()).isEqualTo(sched.now().plusSeconds(60));
        }
        assertThat(store.puts()).isEqualTo(61);
        assertThat(a.record()).isEqualTo(stored());
        assertThat(a.record().acquiredAt()).isEqualTo(START);
        assertThat(a.status().consecutiveFailures()).isZero();
        assertThat(a.status().lastRenewal()).isEqualTo(sched.now());
        assertThatThrownBy(() -> acquire(mem, configB, false))
                .isInstanceOfSatisfying(LeaseHeldException.class, e -> assertThat(e.expired()).isFalse());
    }

    @Test
    void anOutageDoesNotLoseTheLeaseAndRenewalResumesAfterIt() {
        var faulty = FaultInjectingObjectStore.builder(mem).build();
        Lease a = acquire(faulty, configA, false);
        var lost = new AtomicInteger();
        a.addLostListener(e -> lost.incrementAndGet());
        sched.advance(Duration.ofSeconds(30));
        faulty.setOutage(true);
        sched.advance(Duration.ofMinutes(5)); // far past expiry
        assertThat(a.state()).isEqualTo(Lease.State.HELD);
        a.checkHeld();
        assertThat(a.status().consecutiveFailures()).isGreaterThan(100); // every 2 s
        assertThat(a.status().lastFailure()).contains("injected outage");
        assertThat(faulty.injectedFaults().outageRejections()).isEqualTo(a.status().consecutiveFailures());
        // As others see it the lease has expired; still nobody gets it without --take-over.
        assertThatThrownBy(() -> acquire(mem, configB, false))
                .isInstanceOfSatisfying(LeaseHeldException.class, e -> assertThat(e.expired()).isTrue());

        faulty.setOutage(false);
        sched.advance(Duration.ofSeconds(2));
        assertThat(a.status().consecutiveFailures()).isZero();
        assertThat(stored().expiresAt()).isEqualTo(sched.now().plusSeconds(60));
        assertThat(stored()).isEqualTo(a.record());
        sched.advance(Duration.ofSeconds(10));
        assertThat(stored().expiresAt()).isEqualTo(sched.now().plusSeconds(60));
        assertThat(lost).hasValue(0);
        assertThat(a.state()).isEqualTo(Lease.State.HELD);
    }

    @Test
    void transientErrorsAtARateDoNotLoseTheLease() {
        var faulty = FaultInjectingObjectStore.builder(mem).seed(7).transientErrorRate(0.3).lostResponseRate(0.2)
                .build();
        var config = configA.withAttempts(100).withRetryInterval(Duration.ofMillis(1));
        Lease a = acquire(faulty, config, false);
        sched.advance(Duration.ofHours(1));
        assertThat(a.state()).isEqualTo(Lease.State.HELD);
        assertThat(faulty.injectedFaults().lostResponses()).isGreaterThan(10);
        assertThat(stored().ownerId()).isEqualTo(a.record().ownerId());
        assertThat(stored().expiresAt()).isAfter(sched.now().plusSeconds(30));
    }

    @Test
    void permanentErrorsAreRetriedMoreSlowlyAndDoNotLoseTheLease() {
        var store = new ScriptedStore(mem);
        Lease a = acquire(store, configA, false);
        var attempts = new AtomicInteger();
        store.failPuts(() -> {
            attempts.incrementAndGet();
            return ScriptedStore.accessDenied();
        });
        sched.advance(Duration.ofSeconds(190)); // attempts at 10, 70, 130, 190 s
        assertThat(attempts).hasValue(4);
        assertThat(a.state()).isEqualTo(Lease.State.HELD);
        assertThat(a.status().lastFailure()).contains("access denied");
        store.failPuts(null);
        sched.advance(Duration.ofSeconds(60));
        assertThat(a.status().consecutiveFailures()).isZero();
        assertThat(stored().expiresAt()).isEqualTo(sched.now().plusSeconds(60));
    }

    @Test
    void aLostResponseOnRenewalIsNotALoss() {
        var store = new ScriptedStore(mem);
        Lease a = acquire(store, configA, false);
        store.loseNextPutResponses(1);
        sched.advance(Duration.ofSeconds(10)); // applied, answered as failed: our ETag is stale now
        assertThat(a.status().consecutiveFailures()).isEqualTo(1);
        assertThat(a.etag()).isNotEqualTo(mem.get(KEY).etag());
        sched.advance(Duration.ofSeconds(2)); // If-Match on the stale ETag: 412, but the object is ours
        assertThat(a.state()).isEqualTo(Lease.State.HELD);
        assertThat(a.status().consecutiveFailures()).isZero();
        assertThat(a.etag()).isEqualTo(mem.get(KEY).etag());
        assertThat(stored().expiresAt()).isEqualTo(sched.now().plusSeconds(60));
    }

    @Test
    void aLostResponseOnAcquireStillAcquires() {
        var store = new ScriptedStore(mem);
        store.loseNextPutResponses(1);
        Lease a = acquire(store, configA.withRetryInterval(Duration.ofMillis(1)), false);
        assertThat(a.record().epoch()).isEqualTo(1);
        assertThat(stored()).isEqualTo(a.record());
        assertThat(store.puts()).isEqualTo(1);
    }

    @Test
    void acquireGivesUpAfterTheConfiguredAttempts() {
        var faulty = FaultInjectingObjectStore.builder(mem).outage(true).build();
        var config = configA.withAttempts(3).withRetryInterval(Duration.ofMillis(1));
        assertThatThrownBy(() -> acquire(faulty, config, false))
                .isInstanceOf(ObjectStoreException.Transient.class).hasMessageContaining("injected outage");
        assertThat(faulty.injectedFaults().outageRejections()).isEqualTo(3);
        var store = new ScriptedStore(mem);
        store.failPuts(ScriptedStore::accessDenied);
        assertThatThrownBy(() -> acquire(store, configA, false)).isInstanceOf(ObjectStoreException.Permanent.class);
    }

    @Test
    void aDeletedLeaseIsLost() {
        Lease a = acquire(mem, configA, false);
        var calls = new AtomicInteger();
        a.addLostListener(e -> calls.incrementAndGet());
        mem.delete(KEY);
        sched.advance(Duration.ofSeconds(10));
        assertThat(a.state()).isEqualTo(Lease.State.LOST);
        assertThat(calls).hasValue(1);
        assertThatThrownBy(a::checkHeld).isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("the lease object was deleted");
        assertThat(mem.head(KEY)).isEmpty(); // a lost lease is not recreated
        assertThat(a.release()).isFalse();
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheOthers() {
        Lease a = acquire(mem, configA, false);
        var calls = new AtomicInteger();
        a.addLostListener(e -> {
            throw new IllegalStateException("listener bug");
        });
        a.addLostListener(e -> calls.incrementAndGet());
        mem.put(KEY, "garbage".getBytes(StandardCharsets.UTF_8), PutCondition.none());
        sched.advance(Duration.ofSeconds(10));
        assertThat(calls).hasValue(1);
        assertThatThrownBy(a::checkHeld).hasMessageContaining("overwritten with unreadable content");
    }

    @Test
    void aCorruptLeaseIsAClearErrorAndTakeOverReplacesIt() {
        mem.put(KEY, "not a lease\n".getBytes(StandardCharsets.UTF_8), PutCondition.none());
        assertThatThrownBy(() -> acquire(mem, configA, false))
                .isInstanceOf(LeaseCorruptException.class)
                .hasMessageContaining("the lease object '" + KEY + "' in memory://memory/ is unreadable")
                .hasMessageContaining("does not start with 'pacsfs-lease <version>'")
                .hasMessageContaining("mount with --take-over to replace it");
        assertThatThrownBy(() -> Lease.read(mem, KEY)).isInstanceOf(LeaseCorruptException.class);
        Lease a = acquire(mem, configA, true);
        assertThat(a.record().epoch()).isEqualTo(1);
        assertThat(stored()).isEqualTo(a.record());
        assertThat(Lease.read(mem, KEY)).isEqualTo(a.record());
    }

    @Test
    void takeOverOfADamagedLeaseContinuesItsEpoch() {
        crashedHolder(7, Duration.ZERO.minusSeconds(30)); // unexpired
        String text = new String(mem.get(KEY).bytes(), StandardCharsets.UTF_8);
        mem.put(KEY, text.replace("host-old", "host-olc").getBytes(StandardCharsets.UTF_8), PutCondition.none());
        assertThatThrownBy(() -> acquire(mem, configA, false)).isInstanceOf(LeaseCorruptException.class)
                .hasMessageContaining("checksum mismatch");
        assertThat(acquire(mem, configA, true).record().epoch()).isEqualTo(8);
    }

    @Test
    void releaseLetsTheNextMountAcquireAtOnce() {
        Lease a = acquire(mem, configA, false);
        sched.advance(Duration.ofSeconds(25));
        assertThat(a.release()).isTrue();
        assertThat(a.state()).isEqualTo(Lease.State.RELEASED);
        assertThat(stored().state()).isEqualTo(LeaseRecord.State.RELEASED);
        assertThat(stored().expiresAt()).isEqualTo(sched.now());
        assertThatThrownBy(a::checkHeld).isInstanceOf(IllegalStateException.class).hasMessageContaining("released");
        assertThat(a.release()).isTrue(); // idempotent

        Lease b = acquire(mem, configB, false); // same instant, no --take-over
        assertThat(b.record().epoch()).isEqualTo(2);
        String etag = mem.get(KEY).etag();
        sched.advance(Duration.ofSeconds(10));
        assertThat(mem.get(KEY).etag()).isNotEqualTo(etag);
        assertThat(stored()).isEqualTo(b.record()); // a renews no more, b does
        assertThat(sched.pending()).isEqualTo(1);
    }

    @Test
    void releaseAfterATakeOverLeavesTheNewHoldersLeaseAlone() {
        Lease a = acquire(mem, configA, false);
        var calls = new AtomicInteger();
        a.addLostListener(e -> calls.incrementAndGet());
        Lease b = acquire(mem, configB, true);
        assertThat(a.release()).isFalse();
        assertThat(a.state()).isEqualTo(Lease.State.LOST);
        assertThat(calls).hasValue(1);
        assertThat(stored()).isEqualTo(b.record());
        assertThat(stored().state()).isEqualTo(LeaseRecord.State.HELD);
    }

    @Test
    void aLostResponseOnReleaseStillReleases() {
        var store = new ScriptedStore(mem);
        Lease a = acquire(store, configA, false);
        store.loseNextPutResponses(1);
        assertThat(a.release()).isTrue();
        assertThat(stored().state()).isEqualTo(LeaseRecord.State.RELEASED);
        assertThat(store.puts()).isEqualTo(2);
    }

    @Test
    void releaseDuringAnOutageGivesUpAndLeavesTheLeaseToExpire() {
        var faulty = FaultInjectingObjectStore.builder(mem).build();
        Lease a = acquire(faulty, configA.withAttempts(2).withRetryInterval(Duration.ofMillis(1)), false);
        LeaseRecord before = stored();
        faulty.setOutage(true);
        assertThat(a.release()).isFalse();
        assertThat(a.state()).isEqualTo(Lease.State.RELEASED);
        assertThat(a.status().lastFailure()).contains("injected outage");
        assertThat(stored()).isEqualTo(before);
        sched.advance(Duration.ofMinutes(2));
        assertThat(stored()).isEqualTo(before); // no renewals after release
        assertThatThrownBy(() -> acquire(mem, configB, false))
                .isInstanceOfSatisfying(LeaseHeldException.class, e -> assertThat(e.expired()).isTrue());
    }

    @Test
    void withItsOwnThreadItRenewsAndReleases() throws Exception {
        var config = configA.withTimingsScaledTo(Duration.ofSeconds(1)); // renews every 166 ms
        try (Lease a = Lease.acquire(mem, KEY, config, false)) {
            String first = mem.get(KEY).etag();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (mem.get(KEY).etag().equals(first) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(mem.get(KEY).etag()).isNotEqualTo(first);
            assertThat(a.state()).isEqualTo(Lease.State.HELD);
        }
        assertThat(stored().state()).isEqualTo(LeaseRecord.State.RELEASED);
        List<Thread> renewers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("pacsfs-lease-renewal") && t.isAlive()).toList();
        for (Thread t : renewers) {
            t.join(2000);
        }
        assertThat(renewers).allMatch(t -> !t.isAlive());
    }
}
