package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged segment files, as Kafka's and BookKeeper's log tests damage them: each repaired or reported as specified. */
class CorruptionTest {
    @TempDir
    Path dir;

    private WriteLogConfig cfg() {
        return WriteLogConfig.defaults(dir).withSegmentSizeBytes(64 << 10).withCapacityBytes(1 << 20);
    }

    /** Appends {@code n} records of {@code size} bytes, closes, and returns their pointers. */
    private List<AppendResult> write(int n, int size) throws Exception {
        List<AppendResult> out = new ArrayList<>();
        try (WriteLog log = WriteLog.open(cfg())) {
            for (int i = 1; i <= n; i++) {
                out.add(log.append(TestPayloads.type(i), TestPayloads.payload(i, size)));
            }
        }
        return out;
    }

    private Path seg(long id) {
        return dir.resolve(LogSegment.fileName(id));
    }

    private List<Long> readAll(WriteLog log) throws Exception {
        List<Long> lsns = new ArrayList<>();
        try (RecordCursor c = log.readFrom(log.oldestUnreleasedLsn())) {
            while (c.next()) {
                TestPayloads.checkIntact(c.record());
                lsns.add(c.record().lsn());
            }
        }
        return lsns;
    }

    @Test
    void emptyLastSegmentWithPredecessorIsRemovedAndReported() throws Exception {
        write(10, 100);
        Files.write(seg(2), new byte[0]);
        try (WriteLog log = WriteLog.open(cfg())) {
            assertThat(log.recoveryReport().removedFiles()).containsExactly(seg(2));
            assertThat(readAll(log)).hasSize(10);
            assertThat(log.append(TestPayloads.type(11), TestPayloads.payload(11, 5)).lsn()).isEqualTo(11);
        }
    }

    @Test
    void emptyOnlySegmentIsCorruptionBecauseItsFirstLsnIsUnknown() throws Exception {
        write(10, 100);
        Files.write(seg(1), new byte[0]);
        assertThatThrownBy(() -> WriteLog.open(cfg())).isInstanceOf(WriteLogCorruptException.class)
                .hasMessageContaining("00000000000000000001.wal").hasMessageContaining("at byte 0").hasMessageContaining("torn");
    }

    @Test
    void headerOnlySegmentRecoversEmpty() throws Exception {
        write(3, 100);
        truncate(seg(1), SegmentHeader.SIZE);
        try (WriteLog log = WriteLog.open(cfg())) {
            RecoveryReport r = log.recoveryReport();
            assertThat(r.clean()).isTrue();
            assertThat(r.segmentsValidated()).isEqualTo(1);
            assertThat(r.lastValidLsn()).isZero();
            assertThat(readAll(log)).isEmpty();
            assertThat(log.append(TestPayloads.type(1), TestPayloads.payload(1, 5)).lsn()).isEqualTo(1);
        }
    }

    @Test
    void tornLengthFieldIsTruncated() throws Exception {
        List<AppendResult> rs = write(5, 100);
        long lastStart = rs.get(4).pointer().position();
        truncate(seg(1), lastStart + 2);
        expectTruncatedTo(lastStart, 2, 4);
    }

    @Test
    void tornPayloadIsTruncated() throws Exception {
        List<AppendResult> rs = write(5, 100);
        long lastStart = rs.get(4).pointer().position();
        truncate(seg(1), lastStart + RecordFormat.HEADER_SIZE + 50);
        expectTruncatedTo(lastStart, RecordFormat.HEADER_SIZE + 50, 4);
    }

    @Test
    void garbageTailIsTruncated() throws Exception {
        write(5, 100);
        long size = Files.size(seg(1));
        byte[] garbage = new byte[777];
        new java.util.Random(7).nextBytes(garbage);
        Files.write(seg(1), garbage, java.nio.file.StandardOpenOption.APPEND);
        expectTruncatedTo(size, 777, 5);
    }

    @Test
    void zeroFilledTailIsTruncated() throws Exception {
        write(5, 100);
        long size = Files.size(seg(1));
        Files.write(seg(1), new byte[4096], java.nio.file.StandardOpenOption.APPEND);
        expectTruncatedTo(size, 4096, 5);
    }

    @Test
    void corruptRecordFollowedByValidOnesIsReportedWithItsPosition() throws Exception {
        List<AppendResult> rs = write(5, 100);
        long third = rs.get(2).pointer().position();
        flip(seg(1), third + RecordFormat.HEADER_SIZE + 10);
        long sizeBefore = Files.size(seg(1));
        assertThatThrownBy(() -> WriteLog.open(cfg())).isInstanceOf(WriteLogCorruptException.class)
                .hasMessageContaining("at byte " + third).hasMessageContaining("CRC32C")
                .satisfies(e -> assertThat(((WriteLogCorruptException) e).position()).isEqualTo(third));
        assertThat(Files.size(seg(1))).as("nothing is truncated on corruption").isEqualTo(sizeBefore);
    }

    @Test
    void segmentEndingBeforeTheNextOneStartsIsCorruption() throws Exception {
        List<AppendResult> rs = write(100, 2000);
        assertThat(rs.get(99).pointer().segmentId()).isGreaterThan(2);
        long size = Files.size(seg(1));
        truncate(seg(1), size - 100);
        assertThatThrownBy(() -> WriteLog.open(cfg())).isInstanceOf(WriteLogCorruptException.class)
                .hasMessageContaining("are missing");
    }

    @Test
    void badHeaderIsCorruption() throws Exception {
        write(3, 100);
        flip(seg(1), 20);
        assertThatThrownBy(() -> WriteLog.open(cfg())).isInstanceOf(WriteLogCorruptException.class)
                .hasMessageContaining("header");
    }

    @Test
    void halfCreatedSegmentIsRemoved() throws Exception {
        write(3, 100);
        Path tmp = dir.resolve(LogSegment.fileName(2) + ".tmp");
        Files.write(tmp, new byte[10]);
        try (WriteLog log = WriteLog.open(cfg())) {
            assertThat(log.recoveryReport().removedFiles()).containsExactly(tmp);
            assertThat(readAll(log)).hasSize(3);
        }
    }

    private void expectTruncatedTo(long position, long bytes, int records) throws Exception {
        try (WriteLog log = WriteLog.open(cfg())) {
            RecoveryReport r = log.recoveryReport();
            assertThat(r.truncations()).hasSize(1);
            assertThat(r.truncations().get(0).segmentId()).isEqualTo(1);
            assertThat(r.truncations().get(0).position()).isEqualTo(position);
            assertThat(r.truncatedBytes()).isEqualTo(bytes);
            assertThat(r.lastValidLsn()).isEqualTo(records);
            assertThat(readAll(log)).hasSize(records);
            assertThat(Files.size(seg(1))).isEqualTo(position);
            assertThat(log.append(TestPayloads.type(99), TestPayloads.payload(99, 5)).lsn()).isEqualTo(records + 1);
        }
        try (WriteLog log = WriteLog.open(cfg())) {
            assertThat(log.recoveryReport().clean()).isTrue();
            assertThat(readAll(log)).hasSize(records + 1);
        }
    }

    static void truncate(Path file, long size) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    static void flip(Path file, long position) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(position);
            int b = f.read();
            f.seek(position);
            f.write(b ^ 0x10);
        }
    }
}
