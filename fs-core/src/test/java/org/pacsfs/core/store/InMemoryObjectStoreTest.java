package org.pacsfs.core.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the in-memory store adds to the contract: request accounting, shuffled pages, its clock. */
class InMemoryObjectStoreTest {

    @Test
    void countsRequestsAndBytesPerOperation() {
        var store = new InMemoryObjectStore();
        store.put("a", new byte[100], PutCondition.none());
        store.put("b", new byte[50], PutCondition.none());
        assertThatThrownBy(() -> store.put("a", new byte[7], PutCondition.ifNoneMatch()))
                .isInstanceOf(ObjectStoreException.PreconditionFailed.class);
        store.get("a");
        store.get("a", ByteRange.of(10, 20));
        store.head("a");
        store.list("", null, 10);
        store.delete("b");

        StoreStats stats = store.stats();

        assertThat(stats.requests(StoreOperation.PUT)).isEqualTo(3); // a lost race is still a billed request
        assertThat(stats.bytes(StoreOperation.PUT)).isEqualTo(157);
        assertThat(stats.requests(StoreOperation.GET)).isEqualTo(2);
        assertThat(stats.bytes(StoreOperation.GET)).isEqualTo(120);
        assertThat(stats.requests(StoreOperation.HEAD)).isEqualTo(1);
        assertThat(stats.requests(StoreOperation.LIST)).isEqualTo(1);
        assertThat(stats.requests(StoreOperation.DELETE)).isEqualTo(1);
        assertThat(stats.totalRequests()).isEqualTo(8);
        store.resetStats();
        assertThat(store.stats().totalRequests()).isZero();
    }

    @Test
    void batchDeletesAreCountedPerThousandKeys() {
        var store = new InMemoryObjectStore();
        var keys = new ArrayList<String>();
        for (int i = 0; i < 2001; i++) {
            keys.add("k" + i);
        }

        store.deleteAll(keys);

        assertThat(store.stats().requests(StoreOperation.DELETE_BATCH)).isEqualTo(3);
    }

    @Test
    void shuffledListingsKeepPaginationButNotTheOrderWithinAPage() {
        var store = InMemoryObjectStore.builder().shuffleListings(7).build();
        var keys = new ArrayList<String>();
        for (int i = 0; i < 250; i++) {
            keys.add(String.format("k%04d", i));
            store.put(keys.get(i), keys.get(i).getBytes(UTF_8), PutCondition.none());
        }

        ListPage first = store.list("", null, 100);
        List<String> firstKeys = first.objects().stream().map(ObjectInfo::key).toList();

        assertThat(firstKeys).containsExactlyInAnyOrderElementsOf(keys.subList(0, 100)).isNotEqualTo(keys.subList(0, 100));
        ListPage second = store.list("", first.nextContinuationToken(), 100);
        assertThat(second.objects()).extracting(ObjectInfo::key).containsExactlyInAnyOrderElementsOf(keys.subList(100, 200));
        assertThat(store.listAll("").map(ObjectInfo::key)).containsExactlyInAnyOrderElementsOf(keys);
    }

    @Test
    void lastModifiedComesFromTheClockInWholeSeconds() {
        var clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05.678Z"), ZoneOffset.UTC);
        var store = InMemoryObjectStore.builder().clock(clock).build();
        store.put("k", new byte[1], PutCondition.none());

        assertThat(store.head("k").orElseThrow().lastModified()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    }

    @Test
    void etagIsTheQuotedMd5LikeS3() {
        var store = new InMemoryObjectStore();

        assertThat(store.put("k", "hello".getBytes(UTF_8), PutCondition.none()))
                .isEqualTo("\"5d41402abc4b2a76b9719d911017c592\"");
    }

    @Test
    void aGarbledContinuationTokenIsABadRequest() {
        var store = new InMemoryObjectStore();

        assertThatThrownBy(() -> store.list("", "%%%not-a-token", 10))
                .isInstanceOfSatisfying(ObjectStoreException.Permanent.class,
                        e -> assertThat(e.reason()).isEqualTo(ObjectStoreException.Permanent.Reason.BAD_REQUEST));
    }

    @Test
    void builderRejectsABlankName() {
        assertThatThrownBy(() -> InMemoryObjectStore.builder().name(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
