package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many appenders, syncers and readers at once: no record lost, duplicated or reordered. */
class ConcurrencyTest {
    @TempDir
    Path dir;

    @Test
    void appendersSyncersAndReadersAgree() throws Exception {
        int threads = 8;
        int perThread = 1500;
        WriteLogConfig cfg = WriteLogConfig.defaults(dir).withSegmentSizeBytes(256 << 10).withUnsyncedBufferBytes(64 << 10)
                .withCapacityBytes(256 << 20);
        Map<Long, Long> keyOfLsn = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 3);
        AtomicBoolean done = new AtomicBoolean();
        try (WriteLog log = WriteLog.open(cfg)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<AppendResult>>> appenders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long thread = t;
                appenders.add(pool.submit(() -> {
                    start.await();
                    List<AppendResult> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        long key = (thread << 32) | i;
                        AppendResult r = log.append(TestPayloads.type(key), TestPayloads.payload(key, ThreadLocalRandom.current().nextInt(1, 600)));
                        keyOfLsn.put(r.lsn(), key);
                        mine.add(r);
                        if (i % 10 == 0) {
                            log.sync(r.lsn());
                            assertThat(log.syncedLsn()).isGreaterThanOrEqualTo(r.lsn());
                        }
                        if (i % 7 == 0) {
                            AppendResult earlier = mine.get(ThreadLocalRandom.current().nextInt(mine.size()));
                            assertThat(TestPayloads.checkIntact(log.read(earlier.pointer(), earlier.lsn())) >>> 32).isEqualTo(thread);
                        }
                    }
                    return mine;
                }));
            }
            List<Future<?>> helpers = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                helpers.add(pool.submit(() -> {
                    start.await();
                    while (!done.get()) {
                        long last = log.lastLsn();
                        if (last > 0) {
                            log.sync(last);
                        }
                        Thread.onSpinWait();
                    }
                    return null;
                }));
            }
            helpers.add(pool.submit(() -> {
                start.await();
                long next = 1;
                try (RecordCursor c = log.readFrom(1)) {
                    while (next <= (long) threads * perThread) {
                        if (c.next()) {
                            assertThat(c.record().lsn()).isEqualTo(next);
                            TestPayloads.checkIntact(c.record());
                            next++;
                        } else {
                            Thread.yield();
                        }
                    }
                }
                return null;
            }));
            start.countDown();
            List<AppendResult> all = new ArrayList<>();
            for (Future<List<AppendResult>> f : appenders) {
                List<AppendResult> mine = f.get();
                for (int i = 1; i < mine.size(); i++) {
                    assertThat(mine.get(i).lsn()).isGreaterThan(mine.get(i - 1).lsn());
                }
                all.addAll(mine);
            }
            done.set(true);
            for (Future<?> f : helpers) {
                f.get();
            }
            long total = (long) threads * perThread;
            assertThat(all).extracting(AppendResult::lsn).doesNotHaveDuplicates().hasSize((int) total);
            assertThat(log.lastLsn()).isEqualTo(total);
            log.sync(total);
            verify(log, keyOfLsn, total);
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        try (WriteLog log = WriteLog.open(cfg)) {
            verify(log, keyOfLsn, (long) threads * perThread);
        }
    }

    @Test
    void concurrentSyncsShareForces() throws Exception {
        FaultyChannelFactory counting = new FaultyChannelFactory();
        int threads = 8;
        int perThread = 100;
        try (WriteLog log = WriteLog.open(WriteLogConfig.defaults(dir).withSegmentSizeBytes(1 << 20).withChannelFactory(counting))) {
            int atOpen = counting.forces.get();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                all.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        AppendResult r = log.append((byte) 1, TestPayloads.payload(i, 4096));
                        log.sync(r.lsn());
                        assertThat(log.syncedLsn()).isGreaterThanOrEqualTo(r.lsn());
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : all) {
                f.get();
            }
            pool.shutdown();
            int forces = counting.forces.get() - atOpen;
            // Every sync returned covered; group commit means far fewer forces than syncs.
            assertThat(forces).isPositive().isLessThan(threads * perThread * 3 / 4);
        }
    }

    private static void verify(WriteLog log, Map<Long, Long> keyOfLsn, long total) throws Exception {
        Map<Long, Long> lastSeqOfThread = new HashMap<>();
        try (RecordCursor c = log.readFrom(1)) {
            for (long lsn = 1; lsn <= total; lsn++) {
                assertThat(c.next()).isTrue();
                long key = TestPayloads.checkIntact(c.record());
                assertThat(key).isEqualTo(keyOfLsn.get(lsn));
                Long prev = lastSeqOfThread.put(key >>> 32, key & 0xFFFFFFFFL);
                assertThat(key & 0xFFFFFFFFL).isEqualTo(prev == null ? 0 : prev + 1);
            }
            assertThat(c.next()).isFalse();
        }
    }
}
