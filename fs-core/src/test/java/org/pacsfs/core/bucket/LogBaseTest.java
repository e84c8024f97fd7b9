package org.pacsfs.core.bucket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.PutCondition;

/** The log base format (docs/FORMAT.md, "log base"): round trip, and every kind of damage refused with the key named. */
class LogBaseTest {
    static final UUID FS = UUID.fromString("0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11");
    static final BucketKeys KEYS = BucketKeys.under("fs/");

    static LogBase sample() {
        byte[] sha = new byte[32];
        Arrays.fill(sha, (byte) 7);
        return new LogBase(FS, 42, sha, "full-0badcafe", Instant.parse("2025-06-01T12:00:00.123456789Z"), 15_552_000,
                1_800_000_000_000L, UUID.fromString("11111111-2222-3333-4444-555555555555"));
    }

    @Test
    void roundTrips() {
        LogBase b = sample();
        assertThat(LogBase.decode(b.encode(), "k")).isEqualTo(b);
        assertThat(b.checkpointSeq()).isEqualTo(41);
        assertThat(KEYS.logBase(42)).isEqualTo("fs/logbase/00000000000000000042");
        assertThat(KEYS.parseLogBaseSeq("fs/logbase/00000000000000000042")).isEqualTo(42);
        assertThat(KEYS.isWrittenOnce(KEYS.logBase(42))).as("gets Object Lock like the other written-once objects").isTrue();
    }

    @Test
    void badMagicIsRefused() {
        byte[] b = sample().encode();
        b[0] ^= 1;
        assertThatThrownBy(() -> LogBase.decode(b, "logbase/x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logbase/x").hasMessageContaining("bad magic");
    }

    @Test
    void aFlippedBitFailsTheCrc() {
        byte[] good = sample().encode();
        for (int i = 12; i < good.length; i++) {
            byte[] b = good.clone();
            b[i] ^= 0x10;
            assertThatThrownBy(() -> LogBase.decode(b, "logbase/x")).as("byte " + i).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("logbase/x");
        }
        byte[] b = good.clone();
        b[20] ^= 1;
        assertThatThrownBy(() -> LogBase.decode(b, "logbase/x")).hasMessageContaining("CRC32C");
    }

    @Test
    void truncatedOrExtendedIsRefused() {
        byte[] good = sample().encode();
        for (int n : new int[] {0, 11, 40, good.length - 1}) {
            assertThatThrownBy(() -> LogBase.decode(Arrays.copyOf(good, n), "logbase/x")).as(n + " bytes")
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logbase/x");
        }
        assertThatThrownBy(() -> LogBase.decode(Arrays.copyOf(good, good.length + 1), "logbase/x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNewerVersionAsksForAnUpgrade() {
        byte[] b = sample().encode();
        ByteBuffer.wrap(b).putInt(8, 2);
        assertThatThrownBy(() -> LogBase.decode(b, "logbase/x")).hasMessageContaining("format 2").hasMessageContaining("upgrade pacsfs");
    }

    @Test
    void theNewestBaseMustSitUnderItsOwnKeyAndBelongToTheFilesystem() {
        InMemoryObjectStore store = InMemoryObjectStore.builder().build();
        store.put(KEYS.logBase(7), sample().encode(), PutCondition.ifNoneMatch());
        assertThatThrownBy(() -> LogBases.newest(store, KEYS, FS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("segment 42, not at 7");
        InMemoryObjectStore other = InMemoryObjectStore.builder().build();
        other.put(KEYS.logBase(42), sample().encode(), PutCondition.ifNoneMatch());
        assertThat(LogBases.newest(other, KEYS, FS)).contains(sample());
        assertThatThrownBy(() -> LogBases.newest(other, KEYS, UUID.randomUUID())).hasMessageContaining("belongs to filesystem");
        other.put(KEYS.logBase(50), new byte[] {1, 2, 3}, PutCondition.ifNoneMatch());
        assertThatThrownBy(() -> LogBases.newest(other, KEYS, FS)).as("a damaged newest base is not skipped")
                .hasMessageContaining("logbase/00000000000000000050");
    }

    @Test
    void fieldsAreValidated() {
        byte[] sha = new byte[32];
        assertThatThrownBy(() -> new LogBase(FS, 1, sha, "full-00000000", Instant.EPOCH, 1, 0, FS))
                .hasMessageContaining("from 2 on");
        assertThatThrownBy(() -> new LogBase(FS, 5, sha, "../x", Instant.EPOCH, 1, 0, FS)).hasMessageContaining("full-<8 hex>");
    }
}
