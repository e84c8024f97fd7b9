package org.pacsfs.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.PutCondition;

/**
 * The audit trail end to end on the in-memory store: what is recorded reads back; a wrong key, a changed byte, a
 * removed, reordered or truncated segment are each reported; a full queue is counted, never silent.
 */
class AuditTrailTest {

    private static final BucketKeys KEYS = BucketKeys.under("fs/");
    private static final UUID FS = UUID.randomUUID();
    private static final AuditKey KEY = AuditKey.of(bytes(1));
    private static final Caller ALICE = new Caller(1000, 100, 4242);

    private final InMemoryObjectStore store = new InMemoryObjectStore();

    private static byte[] bytes(int seed) {
        byte[] b = new byte[32];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    private AuditTrail trail(AuditTrail.Config config) {
        return AuditTrail.start(store, KEYS, KEY, FS, config, Clock.systemUTC(), Path.of("/nonexistent-proc"));
    }

    /** Three segments: two written because maxEvents = 2, the last (final) one at close. */
    private AuditTrail threeSegments() {
        AuditTrail t = trail(AuditTrail.Config.defaults().withMaxEvents(2));
        t.event(AuditKind.MKDIR, ALICE, "/studies", "", 2, 0, 0755);
        t.opened(7, AuditKind.CREATE, ALICE, "/studies/secret-patient.dcm", 3, 0101, 0644);
        t.wrote(7, 131072);
        t.wrote(7, 1000);
        t.read(7, 500);
        t.released(7);
        t.event(AuditKind.RENAME, ALICE, "/studies/secret-patient.dcm", "/studies/b.dcm", 3, 0);
        t.event(AuditKind.UNLINK, ALICE, "/studies/b.dcm", "", 3, 1); // EPERM
        t.close();
        return t;
    }

    private Recorder readBack(AuditKey key) {
        Recorder r = new Recorder();
        r.summary = AuditReader.read(store, KEYS, key, FS, r);
        return r;
    }

    private List<String> segmentKeys() {
        return store.listAll(KEYS.auditPrefix()).map(ObjectInfo::key).toList();
    }

    @Test
    void eventsReadBackInOrderWithCallerAndAggregatedIo() {
        AuditTrail t = threeSegments();
        assertThat(segmentKeys()).hasSize(3).allMatch(k -> k.startsWith("fs/audit/" + t.streamHex() + "/0000000000000000000"));
        Recorder r = readBack(KEY);
        assertThat(r.problems).isEmpty();
        assertThat(r.unfinished).isEmpty();
        assertThat(r.summary.segments()).isEqualTo(3);
        assertThat(r.events).extracting(AuditEvent::kind).containsExactly(AuditKind.MKDIR, AuditKind.CREATE, AuditKind.CLOSE,
                AuditKind.RENAME, AuditKind.UNLINK);
        AuditEvent close = r.events.get(2);
        assertThat(close.path()).isEqualTo("/studies/secret-patient.dcm");
        assertThat(close.uid()).isEqualTo(1000);
        assertThat(close.gid()).isEqualTo(100);
        assertThat(close.pid()).isEqualTo(4242);
        assertThat(close.ino()).isEqualTo(3);
        assertThat(close.value("bytesWritten")).isEqualTo(132072);
        assertThat(close.value("bytesRead")).isEqualTo(500);
        assertThat(close.value("writes")).isEqualTo(2);
        assertThat(close.value("firstIoMs")).isPositive().isLessThanOrEqualTo(close.value("lastIoMs"));
        assertThat(r.events.get(3).path2()).isEqualTo("/studies/b.dcm");
        assertThat(r.events.get(4).errno()).isEqualTo(1);
        assertThat(r.events.get(0).value("mode")).isEqualTo(0755);
    }

    @Test
    void noPathIsStoredInPlaintext() {
        threeSegments();
        for (String k : segmentKeys()) {
            String raw = new String(store.get(k).bytes(), StandardCharsets.ISO_8859_1);
            assertThat(raw).doesNotContain("secret-patient").doesNotContain("studies");
            assertThat(k).doesNotContain("studies");
        }
    }

    @Test
    void aWrongKeyIsNamedAndNothingIsDecrypted() {
        threeSegments();
        Recorder r = readBack(AuditKey.of(bytes(2)));
        assertThat(r.events).isEmpty();
        assertThat(r.summary.streamsOtherKey()).isEqualTo(1);
        assertThat(r.otherKeyDetail).contains("written with the audit key whose id is " + KEY.idHex());
    }

    @Test
    void aChangedByteFailsTheAuthenticationTag() {
        threeSegments();
        String second = segmentKeys().get(1);
        byte[] b = store.get(second).bytes();
        b[b.length - 20] ^= 1;
        store.put(second, b, PutCondition.none());
        Recorder r = readBack(KEY);
        assertThat(r.problems).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(AuditReader.ProblemKind.SEGMENT_DAMAGED);
            assertThat(p.key()).isEqualTo(second);
            assertThat(p.detail()).contains("authentication tag does not verify");
        });
    }

    @Test
    void aRemovedSegmentIsMissingAndARemovedEndIsUnfinished() {
        threeSegments();
        List<String> keys = segmentKeys();
        store.delete(keys.get(1));
        Recorder r = readBack(KEY);
        assertThat(r.problems).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(AuditReader.ProblemKind.SEGMENT_MISSING);
            assertThat(p.detail()).contains("segment 2 of stream");
        });
        store.delete(keys.get(2));
        r = readBack(KEY);
        assertThat(r.problems).isEmpty();
        assertThat(r.unfinished).hasSize(1);
    }

    @Test
    void swappedSegmentsAreOutOfChain() {
        threeSegments();
        List<String> keys = segmentKeys();
        byte[] a = store.get(keys.get(0)).bytes();
        byte[] b = store.get(keys.get(1)).bytes();
        store.put(keys.get(0), b, PutCondition.none());
        store.put(keys.get(1), a, PutCondition.none());
        Recorder r = readBack(KEY);
        assertThat(r.problems).extracting(AuditReader.Problem::kind).containsOnly(AuditReader.ProblemKind.SEGMENT_OUT_OF_CHAIN);
        assertThat(r.problems).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void aReplacedSegmentBreaksTheChainOfTheNextOne() {
        threeSegments();
        List<String> keys = segmentKeys();
        AuditSegment.Header h = headerOf(keys.get(1));
        // Someone with the key rewrites segment 2 without one event: it verifies, but segment 3 names the old one.
        byte[] forged = AuditSegment.encode(KEY, FS, h.streamId(), 2, h.previousSha256(), h.createdNs(), false, 0, List.of());
        store.put(keys.get(1), forged, PutCondition.none());
        Recorder r = readBack(KEY);
        assertThat(r.problems).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(AuditReader.ProblemKind.SEGMENT_OUT_OF_CHAIN);
            assertThat(p.key()).isEqualTo(keys.get(2));
        });
    }

    private AuditSegment.Header headerOf(String key) {
        try {
            return AuditSegment.header(store.get(key).bytes());
        } catch (AuditSegment.FormatException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aFullQueueDropsAndCountsEvents() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        var blocking = new ForwardingObjectStore(store) {
            @Override
            public String put(String key, ByteBuffer body, PutCondition condition) {
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.put(key, body, condition);
            }
        };
        AuditTrail t = AuditTrail.start(blocking, KEYS, KEY, FS, AuditTrail.Config.defaults().withMaxEvents(1).withQueueEvents(2),
                Clock.systemUTC(), Path.of("/nonexistent-proc"));
        t.event(AuditKind.MKDIR, ALICE, "/d0", "", 1, 0);
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue(); // the writer holds event 0 and waits in its PUT
        for (int i = 1; i <= 7; i++) {
            t.event(AuditKind.MKDIR, ALICE, "/d" + i, "", 1, 0);
        }
        assertThat(t.droppedTotal()).isEqualTo(5);
        release.countDown();
        t.close();
        Recorder r = readBack(KEY);
        assertThat(r.events).extracting(AuditEvent::path).containsExactly("/d0", "/d1", "/d2");
        assertThat(r.summary.dropped()).isEqualTo(5);
        assertThat(r.problems).isEmpty();
    }

    @Test
    void anIdleTrailWritesOnlyItsFinalSegment() throws Exception {
        AuditTrail t = trail(AuditTrail.Config.defaults().withInterval(Duration.ofMillis(100)));
        Thread.sleep(400);
        assertThat(segmentKeys()).isEmpty();
        t.event(AuditKind.RMDIR, ALICE, "/x", "", 5, 0);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (segmentKeys().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(segmentKeys()).hasSize(1); // written by the interval, before close
        t.close();
        Recorder r = readBack(KEY);
        assertThat(r.summary.segments()).isEqualTo(2);
        assertThat(r.events).hasSize(1);
        assertThat(r.unfinished).isEmpty();
    }

    @Test
    void transientFailuresAndLostResponsesAreRetriedWithoutLoss() {
        var faulty = org.pacsfs.core.store.FaultInjectingObjectStore.builder(store).seed(7).transientErrorRate(0.3)
                .lostResponseRate(0.3).build();
        AuditTrail t = AuditTrail.start(faulty, KEYS, KEY, FS, AuditTrail.Config.defaults().withMaxEvents(5), Clock.systemUTC(),
                Path.of("/nonexistent-proc"));
        for (int i = 0; i < 40; i++) {
            t.event(AuditKind.MKDIR, ALICE, "/d" + i, "", i, 0);
        }
        t.close();
        assertThat(faulty.injectedFaults().transientErrors() + faulty.injectedFaults().lostResponses()).isPositive();
        Recorder r = readBack(KEY);
        assertThat(r.events).hasSize(40);
        assertThat(r.events.get(39).path()).isEqualTo("/d39");
        assertThat(r.problems).isEmpty();
        assertThat(r.unfinished).isEmpty();
        assertThat(r.summary.dropped()).isZero();
    }

    @Test
    void aSegmentThatCannotBeWrittenIsCountedAndTheChainHasNoGap() {
        var refusing = new ForwardingObjectStore(store) {
            int puts;

            @Override
            public String put(String key, ByteBuffer body, PutCondition condition) {
                if (++puts == 2) {
                    throw new org.pacsfs.core.store.ObjectStoreException.Permanent(
                            org.pacsfs.core.store.ObjectStoreException.Permanent.Reason.ACCESS_DENIED, "denied", 403,
                            "AccessDenied", null, null);
                }
                return super.put(key, body, condition);
            }
        };
        AuditTrail t = AuditTrail.start(refusing, KEYS, KEY, FS, AuditTrail.Config.defaults().withMaxEvents(2), Clock.systemUTC(),
                Path.of("/nonexistent-proc"));
        for (int i = 0; i < 6; i++) {
            t.event(AuditKind.RMDIR, ALICE, "/r" + i, "", i, 0);
        }
        t.close();
        Recorder r = readBack(KEY);
        assertThat(r.events).extracting(AuditEvent::path).containsExactly("/r0", "/r1", "/r4", "/r5");
        assertThat(r.summary.dropped()).isEqualTo(2);
        assertThat(r.problems).isEmpty();
        assertThat(t.droppedTotal()).isEqualTo(2);
    }

    private static final class Recorder implements AuditReader.Listener {
        final List<AuditEvent> events = new ArrayList<>();
        final List<AuditReader.Problem> problems = new ArrayList<>();
        final List<String> unfinished = new ArrayList<>();
        String otherKeyDetail;
        AuditReader.Summary summary;

        @Override
        public void stream(String streamHex, boolean readable, String detail) {
            if (!readable) {
                otherKeyDetail = detail;
            }
        }

        @Override
        public void event(String streamHex, long seq, AuditEvent event) {
            events.add(event);
        }

        @Override
        public void problem(AuditReader.Problem problem) {
            problems.add(problem);
        }

        @Override
        public void unfinished(String streamHex, long lastSeq) {
            unfinished.add(streamHex);
        }
    }
}
