package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failed forces and writes through an injected channel factory. */
class FaultInjectionTest {
    @TempDir
    Path dir;
    final FaultyChannelFactory faults = new FaultyChannelFactory();

    private WriteLogConfig cfg() {
        return WriteLogConfig.defaults(dir).withSegmentSizeBytes(1 << 20).withCapacityBytes(16 << 20).withChannelFactory(faults);
    }

    private List<AppendResult> append(WriteLog log, int from, int to) throws Exception {
        List<AppendResult> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(log.append(TestPayloads.type(i), TestPayloads.payload(i, 300)));
        }
        return out;
    }

    private void expectAllIntact(WriteLog log, int n) throws Exception {
        try (RecordCursor c = log.readFrom(1)) {
            for (int i = 1; i <= n; i++) {
                assertThat(c.next()).isTrue();
                assertThat(c.record().lsn()).isEqualTo(i);
                assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(i);
            }
            assertThat(c.next()).isFalse();
        }
    }

    @Test
    void failedForceRewritesUnsyncedRecordsToANewSegmentAndNeverRetriesThatFile() throws Exception {
        List<AppendResult> rs;
        try (WriteLog log = WriteLog.open(cfg())) {
            rs = append(log, 1, 10);
            log.sync(10);
            rs.addAll(append(log, 11, 20));
            faults.failForces.set(1);
            log.sync(20);
            assertThat(log.syncedLsn()).isEqualTo(20);
            assertThat(faults.forcesAfterFailure.get()).isZero();
            // Old pointers of moved records are redirected; synced ones still read from segment 1.
            for (AppendResult r : rs) {
                assertThat(TestPayloads.checkIntact(log.read(r.pointer(), r.lsn()))).isEqualTo(r.lsn());
            }
            AppendResult after = log.append(TestPayloads.type(21), TestPayloads.payload(21, 300));
            assertThat(after.pointer().segmentId()).isEqualTo(2);
            assertThat(rs.get(10).pointer().segmentId()).isEqualTo(1);
            expectAllIntact(log, 21);
        }
        try (WriteLog log = WriteLog.open(cfg().withChannelFactory(ChannelFactory.DEFAULT))) {
            assertThat(log.recoveryReport().truncations()).singleElement()
                    .satisfies(t -> assertThat(t.reason()).contains("superseded by segment 2"));
            expectAllIntact(log, 21);
        }
    }

    @Test
    void whenTheRewriteFailsTooTheLogGoesReadOnlyAndKeepsTheSyncedPrefix() throws Exception {
        try (WriteLog log = WriteLog.open(cfg())) {
            append(log, 1, 5);
            log.sync(5);
            append(log, 6, 8);
            faults.failForces.set(1);
            faults.failOpens.set(1);
            assertThatThrownBy(() -> log.sync(8)).isInstanceOf(WriteLogReadOnlyException.class)
                    .hasMessageContaining("read-only").hasMessageContaining("records up to LSN 5 are durable");
            assertThat(log.isReadOnly()).isTrue();
            assertThatThrownBy(() -> log.append((byte) 0, TestPayloads.payload(9, 10))).isInstanceOf(WriteLogReadOnlyException.class);
            assertThat(log.syncedLsn()).isEqualTo(5);
            try (RecordCursor c = log.readFrom(5)) {
                assertThat(c.next()).isTrue();
                assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(5);
            }
        }
        try (WriteLog log = WriteLog.open(cfg().withChannelFactory(ChannelFactory.DEFAULT))) {
            assertThat(log.lastLsn()).isGreaterThanOrEqualTo(5);
            try (RecordCursor c = log.readFrom(1)) {
                int n = 0;
                while (c.next()) {
                    TestPayloads.checkIntact(c.record());
                    n++;
                }
                assertThat(n).isGreaterThanOrEqualTo(5);
            }
        }
    }

    @Test
    void failedWriteFailsThatAppendOnlyAndTheLogContinuesConsistently() throws Exception {
        try (WriteLog log = WriteLog.open(cfg())) {
            append(log, 1, 5);
            log.sync(3);
            faults.failWrites.set(1);
            assertThatThrownBy(() -> log.append(TestPayloads.type(6), TestPayloads.payload(6, 300)))
                    .isInstanceOf(WriteLogException.class).hasMessageContaining("No space left on device")
                    .hasMessageContaining("nothing was appended");
            assertThat(log.lastLsn()).isEqualTo(5);
            // Disk still full: creating the next segment fails, the append fails clearly, nothing changes.
            faults.failOpens.set(1);
            assertThatThrownBy(() -> log.append(TestPayloads.type(6), TestPayloads.payload(6, 300)))
                    .isInstanceOf(WriteLogException.class).hasMessageContaining("new segment");
            assertThat(log.isReadOnly()).isFalse();
            AppendResult r = log.append(TestPayloads.type(6), TestPayloads.payload(6, 300));
            assertThat(r.lsn()).isEqualTo(6);
            assertThat(r.pointer().segmentId()).isGreaterThan(1);
            log.sync(6);
            expectAllIntact(log, 6);
        }
        try (WriteLog log = WriteLog.open(cfg().withChannelFactory(ChannelFactory.DEFAULT))) {
            expectAllIntact(log, 6);
        }
    }

    // ---- a failed force when the unsynced records exceed the unsynced buffer (memory holds only the newest) ----

    /** 256 KiB segments, a 64 KiB buffer: 3000-byte records 11..400 span five segments, memory holds about 21. */
    private WriteLogConfig smallBuffer() {
        return cfg().withSegmentSizeBytes(256 << 10).withUnsyncedBufferBytes(64 << 10);
    }

    private List<AppendResult> append3000(WriteLog log, int from, int to) throws Exception {
        List<AppendResult> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(log.append(TestPayloads.type(i), TestPayloads.payload(i, 3000)));
        }
        return out;
    }

    private void expectIntactThrough(WriteLog log, List<AppendResult> rs, int n) throws Exception {
        for (AppendResult r : rs) {
            assertThat(TestPayloads.checkIntact(log.read(r.pointer(), r.lsn()))).isEqualTo(r.lsn());
        }
        try (RecordCursor c = log.readFrom(1)) {
            for (int i = 1; i <= n; i++) {
                assertThat(c.next()).isTrue();
                assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(i);
            }
            assertThat(c.next()).isFalse();
        }
    }

    @Test
    void failedForceBeyondTheBufferRewritesFromMemoryAndVerifiedRereadsAcrossSegments() throws Exception {
        List<AppendResult> rs;
        try (WriteLog log = WriteLog.open(smallBuffer())) {
            rs = append3000(log, 1, 10);
            log.sync(10);
            rs.addAll(append3000(log, 11, 400));
            assertThat(rs.get(399).pointer().segmentId()).isGreaterThanOrEqualTo(5);
            faults.failForces.set(1);
            log.sync(400);
            assertThat(log.syncedLsn()).isEqualTo(400);
            assertThat(faults.forcesAfterFailure.get()).isZero();
            assertThat(log.isReadOnly()).isFalse();
            rs.addAll(append3000(log, 401, 420));
            log.sync(420);
            expectIntactThrough(log, rs, 420);
        }
        try (WriteLog log = WriteLog.open(smallBuffer().withChannelFactory(ChannelFactory.DEFAULT))) {
            assertThat(log.lastLsn()).isEqualTo(420);
            expectIntactThrough(log, List.of(), 420);
        }
    }

    @Test
    void failedForceInTheMiddleOfASyncRoundKeepsWhatWasForcedAndRewritesTheRest() throws Exception {
        List<AppendResult> rs;
        try (WriteLog log = WriteLog.open(smallBuffer())) {
            rs = append3000(log, 1, 10);
            log.sync(10);
            rs.addAll(append3000(log, 11, 400));
            faults.forcesBeforeFailure.set(2); // segments 1 and 2 are forced (and 2 committed), 3 fails
            faults.failForces.set(1);
            log.sync(400);
            assertThat(log.syncedLsn()).isEqualTo(400);
            assertThat(faults.forcesAfterFailure.get()).isZero();
            expectIntactThrough(log, rs, 400);
        }
        try (WriteLog log = WriteLog.open(smallBuffer().withChannelFactory(ChannelFactory.DEFAULT))) {
            assertThat(log.lastLsn()).isEqualTo(400);
            expectIntactThrough(log, List.of(), 400);
        }
    }

    @Test
    void whenARecordDroppedFromMemoryFailsVerificationOnRereadTheLogGoesReadOnly() throws Exception {
        Path corrupted;
        try (WriteLog log = WriteLog.open(smallBuffer())) {
            append3000(log, 1, 10);
            log.sync(10);
            List<AppendResult> rs = append3000(log, 11, 400);
            // The first record of segment 2 is long gone from memory; damage it in the (uncommitted) file.
            AppendResult victim = rs.stream().filter(r -> r.pointer().segmentId() == 2).findFirst().orElseThrow();
            corrupted = dir.resolve(String.format("%020d.wal.tmp", 2));
            try (FileChannel c = FileChannel.open(corrupted, StandardOpenOption.WRITE)) {
                c.write(ByteBuffer.wrap(new byte[] {0x55}), victim.pointer().position() + RecordFormat.HEADER_SIZE + 100);
            }
            faults.failForces.set(1);
            assertThatThrownBy(() -> log.sync(400)).isInstanceOf(WriteLogReadOnlyException.class)
                    .hasMessageContaining("read-only").hasMessageContaining("records up to LSN 10 are durable")
                    .hasMessageContaining("LSN " + victim.lsn()).hasMessageContaining("CRC32C");
            assertThat(log.isReadOnly()).isTrue();
            assertThat(log.syncedLsn()).isEqualTo(10);
            assertThat(faults.forcesAfterFailure.get()).isZero();
            assertThatThrownBy(() -> log.append((byte) 0, TestPayloads.payload(401, 10))).isInstanceOf(WriteLogReadOnlyException.class);
        }
        try (WriteLog log = WriteLog.open(smallBuffer().withChannelFactory(ChannelFactory.DEFAULT))) {
            assertThat(log.lastLsn()).isGreaterThanOrEqualTo(10);
            try (RecordCursor c = log.readFrom(1)) {
                for (int i = 1; i <= log.lastLsn(); i++) {
                    assertThat(c.next()).isTrue();
                    assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(i);
                }
            }
        }
    }

    @Test
    void whenRereadingADroppedRecordFailsTheLogGoesReadOnly() throws Exception {
        try (WriteLog log = WriteLog.open(smallBuffer())) {
            append3000(log, 1, 10);
            log.sync(10);
            append3000(log, 11, 400);
            faults.failForces.set(1);
            faults.failReads.set(1000); // every read fails: the copy into memory before the force, then the re-reads
            assertThatThrownBy(() -> log.sync(400)).isInstanceOf(WriteLogReadOnlyException.class)
                    .hasMessageContaining("records up to LSN 10 are durable").hasMessageContaining("read failed");
            assertThat(log.syncedLsn()).isEqualTo(10);
            assertThat(faults.forcesAfterFailure.get()).isZero();
        }
        try (WriteLog log = WriteLog.open(smallBuffer().withChannelFactory(ChannelFactory.DEFAULT))) {
            try (RecordCursor c = log.readFrom(1)) {
                for (int i = 1; i <= 10; i++) {
                    assertThat(c.next()).isTrue();
                    assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(i);
                }
            }
        }
    }

    @Test
    void failedForceThatDropsThePageCacheIsSurvivedFromMemory() throws Exception {
        List<AppendResult> rs;
        try (WriteLog log = WriteLog.open(smallBuffer())) {
            rs = append3000(log, 1, 10);
            log.sync(10);
            rs.addAll(append3000(log, 11, 25)); // 45 KB: all in the 64 KiB buffer
            faults.failForces.set(1);
            faults.dropUnforcedOnFailure = true;
            log.sync(25);
            assertThat(log.syncedLsn()).isEqualTo(25);
            assertThat(faults.forcesAfterFailure.get()).isZero();
            // The old file really lost the unsynced bytes: they came from memory.
            AppendResult moved = rs.get(14);
            ByteBuffer b = ByteBuffer.allocate(8);
            try (FileChannel c = FileChannel.open(dir.resolve(String.format("%020d.wal", 1)), StandardOpenOption.READ)) {
                c.read(b, moved.pointer().position() + 8);
            }
            assertThat(b.getLong(0)).isZero();
            expectIntactThrough(log, rs, 25);
        }
        try (WriteLog log = WriteLog.open(smallBuffer().withChannelFactory(ChannelFactory.DEFAULT))) {
            assertThat(log.lastLsn()).isEqualTo(25);
            expectIntactThrough(log, List.of(), 25);
        }
    }

    @Test
    void failedForceThatDropsThePageCacheBeyondTheBufferGoesReadOnlyAndKeepsTheSyncedPrefix() throws Exception {
        try (WriteLog log = WriteLog.open(smallBuffer())) {
            append3000(log, 1, 10);
            log.sync(10);
            append3000(log, 11, 400);
            faults.failForces.set(1);
            faults.dropUnforcedOnFailure = true;
            assertThatThrownBy(() -> log.sync(400)).isInstanceOf(WriteLogReadOnlyException.class)
                    .hasMessageContaining("records up to LSN 10 are durable").hasMessageContaining("LSN 11");
            assertThat(log.syncedLsn()).isEqualTo(10);
            assertThat(faults.forcesAfterFailure.get()).isZero();
        }
        try (WriteLog log = WriteLog.open(smallBuffer().withChannelFactory(ChannelFactory.DEFAULT))) {
            assertThat(log.lastLsn()).isEqualTo(10);
            expectIntactThrough(log, List.of(), 10);
        }
    }
}
