package org.pacsfs.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.CountingObjectStore.Outcome;

class CountingObjectStoreTest {

    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FaultInjectingObjectStore faulty = FaultInjectingObjectStore.builder(memory).seed(1).build();
    private final CountingObjectStore store = new CountingObjectStore(faulty);

    @Test
    void countsEveryRequestByOperationAndOutcomeAndTheBytesOfSuccessfulOnes() {
        store.put("a", ByteBuffer.wrap(new byte[1000]), PutCondition.ifNoneMatch());
        assertThatThrownBy(() -> store.put("a", ByteBuffer.wrap(new byte[10]), PutCondition.ifNoneMatch()))
                .isInstanceOf(ObjectStoreException.PreconditionFailed.class);
        assertThat(store.get("a").bytes()).hasSize(1000);
        assertThat(store.get("a", new ByteRange(0, 100)).bytes()).hasSize(100);
        assertThatThrownBy(() -> store.get("missing")).isInstanceOf(ObjectStoreException.NotFound.class);
        assertThat(store.head("a")).isPresent();
        assertThat(store.head("missing")).isEmpty();
        store.list("", null, 10);
        store.delete("a");
        store.deleteAll(List.of("x", "y"));

        assertThat(store.requests(StoreOperation.PUT, Outcome.OK)).isEqualTo(1);
        assertThat(store.requests(StoreOperation.PUT, Outcome.PRECONDITION_FAILED)).isEqualTo(1);
        assertThat(store.requests(StoreOperation.GET, Outcome.OK)).isEqualTo(2);
        assertThat(store.requests(StoreOperation.GET, Outcome.NOT_FOUND)).isEqualTo(1);
        assertThat(store.requests(StoreOperation.HEAD, Outcome.OK)).isEqualTo(1);
        assertThat(store.requests(StoreOperation.HEAD, Outcome.NOT_FOUND)).isEqualTo(1);
        assertThat(store.requests(StoreOperation.LIST, Outcome.OK)).isEqualTo(1);
        assertThat(store.requests(StoreOperation.DELETE, Outcome.OK)).isEqualTo(1);
        assertThat(store.requests(StoreOperation.DELETE_BATCH, Outcome.OK)).isEqualTo(1);
        // Only successful requests move bytes: the lost put's 10 bytes are not counted.
        assertThat(store.bytes(StoreOperation.PUT)).isEqualTo(1000);
        assertThat(store.bytes(StoreOperation.GET)).isEqualTo(1100);
        // One request below for each one counted: the decorator neither adds nor hides any.
        long counted = 0;
        for (StoreOperation op : StoreOperation.values()) {
            for (Outcome o : Outcome.values()) {
                counted += store.requests(op, o);
            }
        }
        assertThat(counted).isEqualTo(memory.stats().totalRequests());
    }

    @Test
    void anOutageCountsAsTransientErrors() {
        faulty.setOutage(true);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> store.put("k", ByteBuffer.wrap(new byte[5]), PutCondition.none()))
                    .isInstanceOf(ObjectStoreException.Transient.class);
        }
        assertThatThrownBy(() -> store.list("", null, 1)).isInstanceOf(ObjectStoreException.Transient.class);
        assertThat(store.requests(StoreOperation.PUT, Outcome.TRANSIENT)).isEqualTo(3);
        assertThat(store.requests(StoreOperation.LIST, Outcome.TRANSIENT)).isEqualTo(1);
        assertThat(store.requests(StoreOperation.PUT, Outcome.OK)).isZero();
        assertThat(store.bytes(StoreOperation.PUT)).isZero();
    }

    @Test
    void errorsAreClassifiedByTheirExceptionClass() {
        assertThat(CountingObjectStore.outcomeOf(new ObjectStoreException.Permanent(
                ObjectStoreException.Permanent.Reason.ACCESS_DENIED, "denied", 403, "AccessDenied", null, null)))
                .isEqualTo(Outcome.PERMANENT);
        assertThat(CountingObjectStore.outcomeOf(new IllegalStateException("bug"))).isEqualTo(Outcome.OTHER);
    }

    @Test
    void aPutWithAKnownCrc32cIsCountedOnceAndStillGoesThroughTheFaultInjector() {
        FaultInjectingObjectStore failing = FaultInjectingObjectStore.builder(memory).seed(1).build();
        CountingObjectStore counting = new CountingObjectStore(failing);
        failing.setOutage(true);
        assertThatThrownBy(() -> counting.put("k", ByteBuffer.wrap(new byte[7]), PutCondition.ifNoneMatch(), 42))
                .isInstanceOf(ObjectStoreException.class);
        failing.setOutage(false);
        counting.put("k", ByteBuffer.wrap(new byte[7]), PutCondition.ifNoneMatch(), 42);
        assertThat(counting.requests(StoreOperation.PUT, Outcome.OK)).isEqualTo(1);
        assertThat(counting.bytes(StoreOperation.PUT)).isEqualTo(7);
        assertThat(memory.get("k").bytes()).hasSize(7);
    }

    @Test
    void aForwardingStoreThatOverridesOnlyThePlainPutSeesPutsWithACrc32cToo() {
        int[] seen = new int[1];
        ObjectStore wrapper = new ForwardingObjectStore(memory) {
            @Override
            public String put(String key, ByteBuffer body, PutCondition condition) {
                seen[0]++;
                return super.put(key, body, condition);
            }
        };
        wrapper.put("c", ByteBuffer.wrap(new byte[3]), PutCondition.none(), 1234);
        assertThat(seen[0]).isEqualTo(1);
        assertThat(memory.get("c").bytes()).hasSize(3);
    }
}
