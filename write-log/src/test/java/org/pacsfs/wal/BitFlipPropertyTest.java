package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A single bit flipped anywhere in a one-segment log: a flip in the header or in any record but the last is reported
 * as corruption at that record; a flip in the last record truncates exactly that record. Nothing else is possible.
 */
class BitFlipPropertyTest {

    @Property(tries = 150)
    void everyBitFlipIsDetectedAndHandledAsSpecified(@ForAll @IntRange(min = 1, max = 12) int records,
                                                     @ForAll @IntRange(min = 0, max = 300) int payloadSize,
                                                     @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE - 1) int where,
                                                     @ForAll @IntRange(min = 0, max = 7) int bit) throws Exception {
        Path dir = Files.createTempDirectory("wal-bitflip");
        try {
            WriteLogConfig cfg = WriteLogConfig.defaults(dir).withSegmentSizeBytes(64 << 10).withCapacityBytes(1 << 20);
            List<Long> starts = new ArrayList<>();
            try (WriteLog log = WriteLog.open(cfg)) {
                for (int i = 1; i <= records; i++) {
                    starts.add(log.append(TestPayloads.type(i), TestPayloads.payload(i, payloadSize + i)).pointer().position());
                }
            }
            Path file = dir.resolve(LogSegment.fileName(1));
            long size = Files.size(file);
            long pos = where % size;
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(pos);
                int b = f.read();
                f.seek(pos);
                f.write(b ^ (1 << bit));
            }
            long lastStart = starts.get(records - 1);
            if (pos < SegmentHeader.SIZE) {
                assertThatThrownBy(() -> WriteLog.open(cfg)).isInstanceOf(WriteLogCorruptException.class);
            } else if (pos < lastStart) {
                long recordStart = starts.stream().filter(s -> s <= pos).max(Comparator.naturalOrder()).orElseThrow();
                assertThatThrownBy(() -> WriteLog.open(cfg)).isInstanceOf(WriteLogCorruptException.class)
                        .satisfies(e -> assertThat(((WriteLogCorruptException) e).position()).isEqualTo(recordStart));
            } else {
                try (WriteLog log = WriteLog.open(cfg)) {
                    assertThat(log.recoveryReport().truncatedBytes()).isEqualTo(size - lastStart);
                    assertThat(log.lastLsn()).isEqualTo(records - 1);
                    try (RecordCursor c = log.readFrom(1)) {
                        for (int i = 1; i < records; i++) {
                            assertThat(c.next()).isTrue();
                            assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(i);
                        }
                        assertThat(c.next()).isFalse();
                    }
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
