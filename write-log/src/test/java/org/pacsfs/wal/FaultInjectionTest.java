package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
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
}
