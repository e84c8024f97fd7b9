package org.pacsfs.core.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.ObjectStoreException.Permanent.Reason;

/**
 * The behaviour every {@link ObjectStore} must have: the semantics its Javadoc promises, checked
 * the same way against the in-memory store and against real S3 servers. A subclass provides the
 * store; each test gets a fresh, empty one.
 *
 * <p>Published in fs-core's test-jar so that other implementations (or decorators) can run it too.
 */
public abstract class ObjectStoreContract {

    /** A fresh, empty store for the current test; the same instance on every call within one test. */
    protected abstract ObjectStore store();

    /** Whether concurrent If-None-Match puts on one key are atomic (every real S3 is; some test servers are not). */
    protected boolean atomicIfNoneMatch() {
        return true;
    }

    /** Whether concurrent If-Match puts on one key are atomic compare-and-set (every real S3 is; some test servers are not). */
    protected boolean atomicIfMatch() {
        return true;
    }

    /**
     * Whether listings follow S3's UTF-8 byte order also for characters above U+FFFF. S3Proxy's
     * filesystem backend sorts Java strings (UTF-16 order) instead, which differs only there.
     */
    protected boolean listsSupplementaryCharactersInUtf8Order() {
        return true;
    }

    @Test
    void putThenGetReturnsTheBytesAndTheEtagOfThePut() {
        byte[] body = randomBytes(100_000, 1);
        String etag = store().put("a/b/object", body, PutCondition.none());

        ObjectData data = store().get("a/b/object");

        assertThat(data.bytes()).isEqualTo(body);
        assertThat(data.etag()).isEqualTo(etag).isNotBlank();
        assertThat(data.objectSize()).isEqualTo(body.length);
    }

    @Test
    void overwriteReplacesTheContentAndTheEtag() {
        String first = store().put("k", bytes("first"), PutCondition.none());
        String second = store().put("k", bytes("second version"), PutCondition.none());

        assertThat(second).isNotEqualTo(first);
        assertThat(store().get("k").bytes()).isEqualTo(bytes("second version"));
    }

    @Test
    void emptyObjectRoundTrips() {
        store().put("empty", new byte[0], PutCondition.none());

        assertThat(store().get("empty").bytes()).isEmpty();
        assertThat(store().head("empty")).hasValueSatisfying(info -> assertThat(info.size()).isZero());
        assertThatThrownBy(() -> store().get("empty", ByteRange.of(0, 10)))
                .isInstanceOfSatisfying(ObjectStoreException.Permanent.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_RANGE));
    }

    @Test
    void putSendsTheRemainingBytesOfABufferAndLeavesItsPosition() {
        ByteBuffer buffer = ByteBuffer.wrap(bytes("skip|payload|tail"));
        buffer.position(5).limit(12);

        store().put("buffer", buffer, PutCondition.none());

        assertThat(store().get("buffer").bytes()).isEqualTo(bytes("payload"));
        assertThat(buffer.position()).isEqualTo(5);
        assertThat(buffer.limit()).isEqualTo(12);
    }

    @Test
    void ifNoneMatchCreatesAnAbsentKey() {
        String etag = store().put("superblock", bytes("v1"), PutCondition.ifNoneMatch());

        assertThat(store().get("superblock").etag()).isEqualTo(etag);
    }

    @Test
    void ifNoneMatchLosesWith412WhenTheKeyExists() {
        store().put("log/0001", bytes("winner"), PutCondition.ifNoneMatch());

        assertThatThrownBy(() -> store().put("log/0001", bytes("loser"), PutCondition.ifNoneMatch()))
                .isInstanceOfSatisfying(ObjectStoreException.PreconditionFailed.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(412);
                    assertThat(e.getMessage()).contains("log/0001");
                });
        assertThat(store().get("log/0001").bytes()).isEqualTo(bytes("winner"));
    }

    @Test
    void ifMatchWithTheCurrentEtagWins() {
        String etag = store().put("lease", bytes("epoch 1"), PutCondition.none());

        String next = store().put("lease", bytes("epoch 2"), PutCondition.ifMatch(etag));

        assertThat(store().get("lease").bytes()).isEqualTo(bytes("epoch 2"));
        assertThat(store().get("lease").etag()).isEqualTo(next);
    }

    @Test
    void ifMatchWithAStaleEtagLoses() {
        String stale = store().put("lease", bytes("epoch 1"), PutCondition.none());
        store().put("lease", bytes("epoch 2 by another host"), PutCondition.ifMatch(stale));

        assertThatThrownBy(() -> store().put("lease", bytes("epoch 2 by us"), PutCondition.ifMatch(stale)))
                .isInstanceOfSatisfying(ObjectStoreException.PreconditionFailed.class,
                        e -> assertThat(e.httpStatus()).isEqualTo(412));
        assertThat(store().get("lease").bytes()).isEqualTo(bytes("epoch 2 by another host"));
    }

    @Test
    void ifMatchOnAnAbsentKeyLoses() {
        String etag = store().put("other", bytes("x"), PutCondition.none());

        assertThatThrownBy(() -> store().put("absent", bytes("y"), PutCondition.ifMatch(etag)))
                .isInstanceOf(ObjectStoreException.PreconditionFailed.class);
        assertThat(store().head("absent")).isEmpty();
    }

    @Test
    void concurrentIfNoneMatchPutsHaveExactlyOneWinner() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(atomicIfNoneMatch(),
                "this server does not make concurrent If-None-Match puts atomic");
        for (int round = 0; round < 5; round++) {
            assertOneWinnerAmongConcurrentCreators("commit-point-" + round);
        }
    }

    private void assertOneWinnerAmongConcurrentCreators(String key) throws Exception {
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            var start = new CountDownLatch(1);
            var outcomes = new ArrayList<Future<String>>();
            for (int i = 0; i < writers; i++) {
                String body = "writer " + i;
                outcomes.add(pool.submit(() -> {
                    start.await();
                    try {
                        store().put(key, bytes(body), PutCondition.ifNoneMatch());
                        return body;
                    } catch (ObjectStoreException.PreconditionFailed e) {
                        return null;
                    }
                }));
            }
            start.countDown();
            var winners = new ArrayList<String>();
            for (Future<String> outcome : outcomes) {
                String winner = outcome.get(30, TimeUnit.SECONDS);
                if (winner != null) {
                    winners.add(winner);
                }
            }
            assertThat(winners).hasSize(1);
            assertThat(store().get(key).bytes()).isEqualTo(bytes(winners.get(0)));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentIfMatchIncrementsLoseNoUpdate() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(atomicIfMatch(),
                "this server does not make concurrent If-Match puts atomic (compare-and-set races lose updates)");
        store().put("counter", bytes("0"), PutCondition.ifNoneMatch());
        int threads = 4;
        int incrementsEach = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            var done = new ArrayList<Future<Void>>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> incrementWithCompareAndSet("counter", incrementsEach)));
            }
            for (Future<Void> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            // Every increment read-modify-wrote under If-Match: none may be lost, however many races were.
            assertThat(new String(store().get("counter").bytes(), UTF_8)).isEqualTo(String.valueOf(threads * incrementsEach));
        } finally {
            pool.shutdownNow();
        }
    }

    private Void incrementWithCompareAndSet(String key, int increments) {
        for (int i = 0; i < increments; ) {
            ObjectData current = store().get(key);
            int next = Integer.parseInt(new String(current.bytes(), UTF_8)) + 1;
            try {
                store().put(key, bytes(String.valueOf(next)), PutCondition.ifMatch(current.etag()));
                i++;
            } catch (ObjectStoreException.PreconditionFailed lost) {
                // another writer got there first: read again and retry
            }
        }
        return null;
    }

    @Test
    void rangeGetReturnsExactlyTheRequestedBytes() {
        byte[] body = randomBytes(1 << 20, 2);
        String etag = store().put("chunk", body, PutCondition.none());

        assertRange("chunk", body, 0, 1);
        assertRange("chunk", body, body.length - 1, 1);
        assertRange("chunk", body, 4096, 131_072);
        assertRange("chunk", body, 12_345, 67_891);
        assertRange("chunk", body, 0, body.length);
        ObjectData part = store().get("chunk", ByteRange.of(10, 20));
        assertThat(part.etag()).isEqualTo(etag);
        assertThat(part.objectSize()).isEqualTo(body.length);
    }

    @Test
    void rangePastTheEndIsCutAtTheEnd() {
        byte[] body = randomBytes(1000, 3);
        store().put("short", body, PutCondition.none());

        ObjectData tail = store().get("short", ByteRange.of(900, 500));

        assertThat(tail.bytes()).isEqualTo(java.util.Arrays.copyOfRange(body, 900, 1000));
        assertThat(tail.objectSize()).isEqualTo(1000);
    }

    @Test
    void rangeStartingAtOrAfterTheEndIsInvalid() {
        store().put("short", randomBytes(1000, 4), PutCondition.none());

        for (long offset : new long[] {1000, 5000}) {
            assertThatThrownBy(() -> store().get("short", ByteRange.of(offset, 10)))
                    .isInstanceOfSatisfying(ObjectStoreException.Permanent.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.INVALID_RANGE);
                        assertThat(e.httpStatus()).isEqualTo(416);
                    });
        }
    }

    @Test
    void getOfAMissingKeyIsNotFoundAndNamesTheKey() {
        assertThatThrownBy(() -> store().get("chunks/ab/missing"))
                .isInstanceOfSatisfying(ObjectStoreException.NotFound.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(404);
                    assertThat(e.getMessage()).contains("chunks/ab/missing");
                });
        assertThatThrownBy(() -> store().get("chunks/ab/missing", ByteRange.of(0, 10)))
                .isInstanceOf(ObjectStoreException.NotFound.class);
    }

    @Test
    void headReportsSizeEtagAndLastModified() {
        Instant before = Instant.now().minus(Duration.ofMinutes(5));
        String etag = store().put("h", randomBytes(4321, 5), PutCondition.none());

        ObjectInfo info = store().head("h").orElseThrow();

        assertThat(info.key()).isEqualTo("h");
        assertThat(info.size()).isEqualTo(4321);
        assertThat(info.etag()).isEqualTo(etag);
        assertThat(info.lastModified()).isBetween(before, Instant.now().plus(Duration.ofMinutes(5)));
    }

    @Test
    void headOfAMissingKeyIsEmpty() {
        assertThat(store().head("nothing/here")).isEmpty();
    }

    @Test
    void listingOf2500KeysPaginatesInPagesOf1000() {
        List<String> keys = keys("log/", 2500);
        putAll(keys);
        store().put("logx", bytes("outside the prefix"), PutCondition.none());

        var pages = new ArrayList<ListPage>();
        String token = null;
        do {
            ListPage page = store().list("log/", token, 1000);
            pages.add(page);
            token = page.nextContinuationToken();
        } while (token != null && pages.size() < 10);

        assertThat(pages).extracting(p -> p.objects().size()).containsExactly(1000, 1000, 500);
        assertThat(pages).extracting(ListPage::isTruncated).containsExactly(true, true, false);
        List<String> listed = pages.stream().flatMap(p -> p.objects().stream()).map(ObjectInfo::key).toList();
        assertThat(listed).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(store().listAll("log/").map(ObjectInfo::key)).hasSize(2500).doesNotHaveDuplicates();
    }

    @Test
    void listingPagesFollowKeyOrderAndCarrySizeAndEtag() {
        List<String> keys = keys("p/", 25);
        putAll(keys);

        var pages = new ArrayList<List<String>>();
        String token = null;
        do {
            ListPage page = store().list("p/", token, 10);
            pages.add(page.objects().stream().map(ObjectInfo::key).sorted().toList());
            token = page.nextContinuationToken();
        } while (token != null);

        // Within a page the order is not promised to callers; across pages it is ascending.
        assertThat(pages.stream().flatMap(List::stream).toList()).isSorted().hasSize(25);
        ObjectInfo first = store().list("p/", null, 1).objects().get(0);
        assertThat(first.size()).isEqualTo(bytes(first.key()).length);
        assertThat(first.etag()).isEqualTo(store().head(first.key()).orElseThrow().etag());
    }

    @Test
    void listingIsScopedToThePrefix() {
        putAll(List.of("a/1", "a/2", "ab/1", "b/1"));

        assertThat(store().listAll("a/").map(ObjectInfo::key)).containsExactlyInAnyOrder("a/1", "a/2");
        assertThat(store().listAll("a").map(ObjectInfo::key)).containsExactlyInAnyOrder("a/1", "a/2", "ab/1");
        assertThat(store().listAll("").map(ObjectInfo::key)).hasSize(4);
        assertThat(store().list("c/", null, 10).objects()).isEmpty();
        assertThat(store().list("c/", null, 10).isTruncated()).isFalse();
    }

    @Test
    void batchDeleteOf1500KeysDeletesThemAll() {
        List<String> keys = keys("chunks/", 1500);
        putAll(keys);
        store().put("keep", bytes("keep"), PutCondition.none());
        var request = new ArrayList<>(keys);
        request.add("chunks/never-existed");

        BatchDeleteResult result = store().deleteAll(request);

        assertThat(result.isComplete()).isTrue();
        assertThat(result.deleted()).containsExactlyInAnyOrderElementsOf(request);
        assertThat(store().listAll("chunks/")).isEmpty();
        assertThat(store().head("keep")).isPresent();
    }

    @Test
    void deleteRemovesAndIsIdempotent() {
        store().put("d", bytes("x"), PutCondition.none());

        store().delete("d");
        store().delete("d");

        assertThat(store().head("d")).isEmpty();
        assertThatThrownBy(() -> store().get("d")).isInstanceOf(ObjectStoreException.NotFound.class);
        assertThat(store().deleteAll(List.of()).deleted()).isEmpty();
    }

    @Test
    void invalidArgumentsAreRejectedBeforeAnyRequest() {
        assertThatThrownBy(() -> store().put("", bytes("x"), PutCondition.none()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store().get("k".repeat(1025))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1024");
        assertThatThrownBy(() -> store().list("", null, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store().list("", null, 1001)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unicodeKeysRoundTripAndListInUtf8Order() {
        List<String> bmpKeys = List.of("u/a", "u/\u00E9t\u00E9", "u/\uFF21");
        String emoji = "u/\uD83D\uDE00";
        putAll(List.of(bmpKeys.get(2), emoji, bmpKeys.get(0), bmpKeys.get(1)));

        var listed = new ArrayList<String>();
        String token = null;
        do {
            ListPage page = store().list("u/", token, 1);
            page.objects().forEach(o -> listed.add(o.key()));
            token = page.nextContinuationToken();
        } while (token != null);

        assertThat(listed).containsExactlyInAnyOrder("u/a", "u/\u00E9t\u00E9", "u/\uFF21", emoji);
        assertThat(listed.stream().filter(bmpKeys::contains).toList()).containsExactlyElementsOf(bmpKeys);
        if (listsSupplementaryCharactersInUtf8Order()) {
            // U+FF21 sorts before U+1F600 in UTF-8 (and S3), after it in UTF-16 (String.compareTo).
            assertThat(listed).endsWith(emoji);
        }
        assertThat(store().get(emoji).bytes()).isEqualTo(bytes(emoji));
    }

    @Test
    void operationsAfterCloseFail() {
        store().put("x", bytes("x"), PutCondition.none());
        store().close();
        store().close();

        assertThatThrownBy(() -> store().get("x")).isInstanceOf(IllegalStateException.class);
    }

    // --- helpers for subclasses and the tests above ---

    /** {@code count} zero-padded keys under {@code prefix}. */
    protected static List<String> keys(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> String.format("%s%06d", prefix, i)).collect(Collectors.toList());
    }

    /** Puts every key with its own name as content, in parallel (a real server needs it to stay fast). */
    protected void putAll(List<String> keys) {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            var futures = new ArrayList<Future<?>>();
            for (String key : keys) {
                futures.add(pool.submit(() -> store().put(key, bytes(key), PutCondition.none())));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new AssertionError("putting " + keys.size() + " keys failed", e);
        } finally {
            pool.shutdownNow();
        }
        assertThat(new HashSet<>(keys)).hasSize(keys.size());
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    protected static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private void assertRange(String key, byte[] body, int offset, int length) {
        ObjectData data = store().get(key, ByteRange.of(offset, length));
        assertThat(data.bytes()).as("range %d+%d", offset, length)
                .isEqualTo(java.util.Arrays.copyOfRange(body, offset, offset + length));
    }
}
