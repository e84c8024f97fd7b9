package org.pacsfs.core.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FaultInjectingObjectStoreTest {

    private final InMemoryObjectStore delegate = new InMemoryObjectStore();

    @Test
    void builderRejectsInvalidSettings() {
        var builder = FaultInjectingObjectStore.builder(delegate);

        assertThatThrownBy(() -> builder.transientErrorRate(1.5)).hasMessageContaining("transientErrorRate")
                .hasMessageContaining("[0.0, 1.0]");
        assertThatThrownBy(() -> builder.lostResponseRate(-0.1)).hasMessageContaining("lostResponseRate");
        assertThatThrownBy(() -> builder.truncationRate(Double.NaN)).hasMessageContaining("truncationRate");
        assertThatThrownBy(() -> builder.bitFlipRate(2)).hasMessageContaining("bitFlipRate");
        assertThatThrownBy(() -> builder.latency(Duration.ofMillis(-1))).hasMessageContaining("latency");
        assertThatThrownBy(() -> FaultInjectingObjectStore.builder(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void transientErrorsFailBeforeTheDelegateAtTheConfiguredRate() {
        var store = FaultInjectingObjectStore.builder(delegate).seed(11).transientErrorRate(0.3).build();

        int failures = 0;
        for (int i = 0; i < 2000; i++) {
            try {
                store.put("k" + i, new byte[1], PutCondition.none());
            } catch (ObjectStoreException.Transient e) {
                assertThat(e.httpStatus()).isEqualTo(503);
                assertThat(e.errorCode()).contains("SlowDown");
                failures++;
            }
        }

        assertThat(failures).isBetween(520, 680);
        assertThat(delegate.size()).isEqualTo(2000 - failures);
        assertThat(store.injectedFaults().transientErrors()).isEqualTo(failures);
    }

    @Test
    void theSameSeedInjectsTheSameFaults() {
        assertThat(faultPattern(5)).isEqualTo(faultPattern(5)).isNotEqualTo(faultPattern(6));
    }

    @Test
    void aLostResponseIsAppliedButReportedAsTransient() {
        var store = FaultInjectingObjectStore.builder(delegate).lostResponseRate(1.0).build();

        assertThatThrownBy(() -> store.put("log/1", bytes("segment"), PutCondition.ifNoneMatch()))
                .isInstanceOf(ObjectStoreException.Transient.class);

        assertThat(delegate.get("log/1").bytes()).isEqualTo(bytes("segment"));
    }

    @Test
    void anOutageFailsEveryRequestUntilItEnds() {
        var store = FaultInjectingObjectStore.builder(delegate).build();
        store.put("k", bytes("v"), PutCondition.none());

        store.setOutage(true);
        assertThatThrownBy(() -> store.get("k")).isInstanceOfSatisfying(ObjectStoreException.Transient.class,
                e -> assertThat(e.httpStatus()).isZero());
        assertThatThrownBy(() -> store.list("", null, 10)).isInstanceOf(ObjectStoreException.Transient.class);
        assertThatThrownBy(() -> store.deleteAll(List.of("k"))).isInstanceOf(ObjectStoreException.Transient.class);
        store.setOutage(false);

        assertThat(store.get("k").bytes()).isEqualTo(bytes("v"));
        assertThat(store.injectedFaults().outageRejections()).isEqualTo(3);
    }

    @Test
    void truncationReturnsAStrictPrefixWithTheTrueEtag() {
        var store = FaultInjectingObjectStore.builder(delegate).truncationRate(1.0).build();
        byte[] body = random(10_000);
        String etag = store.put("chunk", body, PutCondition.none());

        ObjectData data = store.get("chunk");

        assertThat(data.bytes().length).isLessThan(body.length);
        assertThat(data.bytes()).isEqualTo(java.util.Arrays.copyOf(body, data.bytes().length));
        assertThat(data.etag()).isEqualTo(etag);
        assertThat(data.objectSize()).isEqualTo(body.length);
    }

    @Test
    void aBitFlipChangesExactlyOneBit() {
        var store = FaultInjectingObjectStore.builder(delegate).bitFlipRate(1.0).build();
        byte[] body = random(4096);
        store.put("chunk", body, PutCondition.none());

        byte[] read = store.get("chunk", ByteRange.of(0, 4096)).bytes();

        int differingBits = 0;
        for (int i = 0; i < body.length; i++) {
            differingBits += Integer.bitCount((body[i] ^ read[i]) & 0xff);
        }
        assertThat(differingBits).isEqualTo(1);
        assertThat(delegate.get("chunk").bytes()).isEqualTo(body); // the stored object is intact
    }

    @Test
    void latencyDelaysEveryRequest() {
        var store = FaultInjectingObjectStore.builder(delegate).latency(Duration.ofMillis(30)).build();

        long start = System.nanoTime();
        store.head("k");
        store.head("k");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(60));
    }

    private List<Boolean> faultPattern(long seed) {
        var store = FaultInjectingObjectStore.builder(new InMemoryObjectStore()).seed(seed).transientErrorRate(0.5)
                .build();
        var pattern = new ArrayList<Boolean>();
        for (int i = 0; i < 64; i++) {
            try {
                store.head("k");
                pattern.add(false);
            } catch (ObjectStoreException.Transient e) {
                pattern.add(true);
            }
        }
        return pattern;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }
}
