package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteLogTest {
    @TempDir
    Path dir;

    private WriteLogConfig small() {
        return WriteLogConfig.defaults(dir).withSegmentSizeBytes(64 << 10).withCapacityBytes(1 << 20);
    }

    @Test
    void appendsGetConsecutiveLsnsAndReadBack() throws Exception {
        try (WriteLog log = WriteLog.open(small())) {
            List<AppendResult> results = new ArrayList<>();
            for (int i = 1; i <= 50; i++) {
                results.add(log.append(TestPayloads.type(i), TestPayloads.payload(i, i * 37)));
            }
            for (int i = 1; i <= 50; i++) {
                AppendResult r = results.get(i - 1);
                assertThat(r.lsn()).isEqualTo(i);
                WalRecord rec = log.read(r.pointer(), r.lsn());
                assertThat(TestPayloads.checkIntact(rec)).isEqualTo(i);
                assertThat(rec.pointer()).isEqualTo(r.pointer());
            }
            assertThat(log.lastLsn()).isEqualTo(50);
            log.sync(50);
            assertThat(log.syncedLsn()).isEqualTo(50);
        }
    }

    @Test
    void lsnsContinueAcrossRestartsAndSegments() throws Exception {
        try (WriteLog log = WriteLog.open(small())) {
            for (int i = 1; i <= 100; i++) {
                log.append(TestPayloads.type(i), TestPayloads.payload(i, 2000));
            }
        }
        assertThat(segmentFiles()).hasSizeGreaterThan(2);
        try (WriteLog log = WriteLog.open(small())) {
            assertThat(log.recoveryReport().clean()).isTrue();
            assertThat(log.recoveryReport().lastValidLsn()).isEqualTo(100);
            assertThat(log.syncedLsn()).isEqualTo(100);
            assertThat(log.append(TestPayloads.type(101), TestPayloads.payload(101, 10)).lsn()).isEqualTo(101);
            try (RecordCursor c = log.readFrom(1)) {
                long expect = 1;
                while (c.next()) {
                    assertThat(c.record().lsn()).isEqualTo(expect);
                    assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(expect);
                    expect++;
                }
                assertThat(expect).isEqualTo(102);
            }
        }
    }

    @Test
    void cursorStartsInTheMiddleAndFollowsTheTail() throws Exception {
        try (WriteLog log = WriteLog.open(small())) {
            for (int i = 1; i <= 300; i++) {
                log.append((byte) 2, TestPayloads.payload(i, 700));
            }
            try (RecordCursor c = log.readFrom(257)) {
                for (int i = 257; i <= 300; i++) {
                    assertThat(c.next()).isTrue();
                    assertThat(c.record().lsn()).isEqualTo(i);
                }
                assertThat(c.next()).isFalse();
                log.append((byte) 2, TestPayloads.payload(301, 5));
                assertThat(c.next()).isTrue();
                assertThat(c.record().lsn()).isEqualTo(301);
            }
        }
    }

    @Test
    void readPayloadReturnsTheRequestedPartAndRefusesOtherRecords() throws Exception {
        try (WriteLog log = WriteLog.open(small())) {
            AppendResult a = log.append((byte) 3, TestPayloads.payload(1, 1000));
            AppendResult b = log.append((byte) 3, TestPayloads.payload(2, 1000));
            ByteBuffer dst = ByteBuffer.allocate(100);
            assertThat(log.readPayload(b.pointer(), 2, 950, dst)).isEqualTo(50);
            assertThat(dst.flip()).isEqualTo(TestPayloads.payload(2, 1000).position(950));
            ByteBuffer whole = ByteBuffer.allocate(2000);
            assertThat(log.readPayload(a.pointer(), 1, 0, whole)).isEqualTo(1000);
            assertThat(whole.flip()).isEqualTo(TestPayloads.payload(1, 1000));
            assertThatThrownBy(() -> log.readPayload(a.pointer(), 2, 0, ByteBuffer.allocate(10)))
                    .isInstanceOf(WriteLogRecordMismatchException.class).hasMessageContaining("holds LSN 1");
            assertThatThrownBy(() -> log.read(new RecordPointer(a.pointer().segmentId(), a.pointer().position() + 1), 1))
                    .isInstanceOf(WriteLogRecordMismatchException.class);
            assertThatThrownBy(() -> log.read(a.pointer(), 7)).isInstanceOf(WriteLogRecordMismatchException.class);
        }
    }

    @Test
    void releaseDeletesWholeSegmentsBelowAndAccountsBytes() throws Exception {
        try (WriteLog log = WriteLog.open(small())) {
            for (int i = 1; i <= 200; i++) {
                log.append((byte) 1, TestPayloads.payload(i, 1000));
            }
            long before = log.bytesHeld();
            assertThat(before).isEqualTo(totalSize());
            int files = segmentFiles().size();
            log.release(100);
            assertThat(segmentFiles().size()).isLessThan(files);
            assertThat(log.bytesHeld()).isEqualTo(totalSize()).isLessThan(before);
            assertThat(log.oldestUnreleasedLsn()).isEqualTo(101);
            try (RecordCursor c = log.readFrom(101)) {
                assertThat(c.next()).isTrue();
                assertThat(c.record().lsn()).isEqualTo(101);
            }
            assertThatThrownBy(() -> log.readFrom(1)).isInstanceOf(WriteLogRecordMismatchException.class);
            log.release(200);
            assertThat(segmentFiles()).hasSize(1);
            assertThat(log.oldestUnreleasedLsn()).isEqualTo(201);
        }
    }

    @Test
    void bytesFromCountsTheRecordsFromAnLsnOnAcrossSegmentsAndReleases() throws Exception {
        int record = RecordFormat.HEADER_SIZE + 1000;
        try (WriteLog log = WriteLog.open(small())) {
            assertThat(log.bytesFrom(1)).isZero();
            for (int i = 1; i <= 200; i++) {
                log.append((byte) 1, TestPayloads.payload(i, 1000));
            }
            assertThat(segmentFiles().size()).isGreaterThan(2);
            assertThat(log.bytesFrom(1)).isEqualTo(200L * record);
            assertThat(log.bytesFrom(151)).isEqualTo(50L * record);
            assertThat(log.bytesFrom(200)).isEqualTo(record);
            assertThat(log.bytesFrom(201)).isZero();
            log.release(120);
            // Records below the oldest one still held do not count; the held ones do, even below the released LSN.
            assertThat(log.bytesFrom(1)).isEqualTo((201L - oldestHeld(log)) * record);
            assertThat(log.bytesFrom(121)).isEqualTo(80L * record);
            log.release(200);
            assertThat(log.bytesFrom(201)).isZero();
        }
    }

    private static long oldestHeld(WriteLog log) throws Exception {
        for (long lsn = 1; ; lsn++) {
            try (RecordCursor c = log.readFrom(lsn)) {
                return lsn;
            } catch (WriteLogRecordMismatchException released) {
                // not held any more
            }
        }
    }

    @Test
    void appendsWaitAtTheCapThenFailWithWriteLogFull() throws Exception {
        WriteLogConfig cfg = small().withCapacityBytes(128 << 10).withMaxWaitWhenFull(Duration.ofMillis(200));
        try (WriteLog log = WriteLog.open(cfg)) {
            long lsn = 0;
            try {
                while (true) {
                    lsn = log.append((byte) 1, TestPayloads.payload(lsn + 1, 4000)).lsn();
                }
            } catch (WriteLogFullException e) {
                assertThat(e).hasMessageContaining("write log full").hasMessageContaining("capacityBytes");
            }
            assertThat(log.bytesHeld()).isLessThanOrEqualTo(128 << 10);
            long last = lsn;
            Thread releaser = new Thread(() -> {
                try {
                    Thread.sleep(50);
                    log.release(last);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            releaser.start();
            WriteLogConfig waitLonger = cfg;
            assertThat(waitLonger.maxWaitWhenFull()).isPositive();
            AppendResult r = log.append((byte) 1, TestPayloads.payload(last + 1, 4000));
            releaser.join();
            assertThat(r.lsn()).isEqualTo(last + 1);
        }
    }

    @Test
    void configRejectsBadValuesNamingTheOption() {
        assertThatThrownBy(() -> WriteLogConfig.defaults(dir).withSegmentSizeBytes(1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segmentSizeBytes").hasMessageContaining("[65536");
        assertThatThrownBy(() -> WriteLogConfig.defaults(dir).withCapacityBytes(1))
                .hasMessageContaining("capacityBytes");
        assertThatThrownBy(() -> WriteLogConfig.defaults(dir).withSyncInterval(Duration.ZERO))
                .hasMessageContaining("syncInterval");
        assertThatThrownBy(() -> WriteLogConfig.defaults(dir).withMaxWaitWhenFull(Duration.ofSeconds(-1)))
                .hasMessageContaining("maxWaitWhenFull");
        assertThatThrownBy(() -> WriteLogConfig.defaults(dir).withUnsyncedBufferBytes(1 << 30).withSegmentSizeBytes(1 << 20))
                .hasMessageContaining("unsyncedBufferBytes");
        WriteLogConfig d = WriteLogConfig.defaults(dir);
        assertThat(d.syncPolicy()).isEqualTo(SyncPolicy.ON_REQUEST);
        assertThat(d.segmentSizeBytes()).isEqualTo(64L << 20);
    }

    @Test
    void tooLargePayloadIsRejected() throws Exception {
        try (WriteLog log = WriteLog.open(small())) {
            int max = log.config().maxPayloadBytes();
            assertThat(log.append((byte) 0, ByteBuffer.allocate(max)).lsn()).isEqualTo(1);
            assertThatThrownBy(() -> log.append((byte) 0, ByteBuffer.allocate(max + 1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds");
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefused() throws Exception {
        try (WriteLog log = WriteLog.open(small())) {
            assertThatThrownBy(() -> WriteLog.open(small())).isInstanceOf(WriteLogException.class);
        }
    }

    @Test
    void everyWritePolicyForcesBeforeAppendReturns() throws Exception {
        try (WriteLog log = WriteLog.open(small().withSyncPolicy(SyncPolicy.EVERY_WRITE))) {
            for (int i = 1; i <= 20; i++) {
                AppendResult r = log.append((byte) 0, TestPayloads.payload(i, 100));
                assertThat(log.syncedLsn()).isGreaterThanOrEqualTo(r.lsn());
            }
        }
    }

    @Test
    void intervalPolicyForcesInTheBackground() throws Exception {
        try (WriteLog log = WriteLog.open(small().withSyncPolicy(SyncPolicy.INTERVAL).withSyncInterval(Duration.ofMillis(5)))) {
            AppendResult r = log.append((byte) 0, TestPayloads.payload(1, 100));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (log.syncedLsn() < r.lsn() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(log.syncedLsn()).isEqualTo(1);
        }
    }

    @Test
    void unsyncedBufferFillingUpDropsTheOldestFromMemoryInsteadOfForcing() throws Exception {
        FaultyChannelFactory counting = new FaultyChannelFactory();
        WriteLogConfig cfg = WriteLogConfig.defaults(dir).withSegmentSizeBytes(256 << 10).withUnsyncedBufferBytes(64 << 10)
                .withCapacityBytes(64 << 20).withChannelFactory(counting);
        try (WriteLog log = WriteLog.open(cfg)) {
            int forcesAtOpen = counting.forces.get();
            for (int i = 1; i <= 200; i++) {
                log.append(TestPayloads.type(i), TestPayloads.payload(i, 3000));
            }
            // 600 KB through a 64 KiB buffer, across three segment rolls: no force on the append path.
            assertThat(counting.forces.get()).isEqualTo(forcesAtOpen);
            assertThat(log.syncedLsn()).isZero();
            log.sync(200);
            assertThat(log.syncedLsn()).isEqualTo(200);
        }
        try (WriteLog log = WriteLog.open(cfg.withChannelFactory(ChannelFactory.DEFAULT))) {
            assertThat(log.lastLsn()).isEqualTo(200);
            try (RecordCursor c = log.readFrom(1)) {
                for (long i = 1; i <= 200; i++) {
                    assertThat(c.next()).isTrue();
                    assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(i);
                }
            }
        }
    }

    /** Committed (.wal) and uncommitted (.wal.tmp: rolled to, not yet synced) segment files. */
    private List<Path> segmentFiles() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".wal") || p.toString().endsWith(".wal.tmp")).sorted().toList();
        }
    }

    private long totalSize() throws Exception {
        long total = 0;
        for (Path p : segmentFiles()) {
            total += Files.size(p);
        }
        return total;
    }
}
