package org.pacsfs.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LeaseCodecTest {

    private static final String WHERE = "'lease' in memory://t/";
    private static final LeaseRecord RECORD = new LeaseRecord("1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "pacs-01.example.org", 3, Instant.parse("2025-01-31T10:00:00.123Z"),
            Instant.parse("2025-01-31T10:01:00Z"), LeaseRecord.State.HELD);

    /** The exact bytes documented in docs/FORMAT.md; a change here is a format change. */
    private static final String GOLDEN = """
            pacsfs-lease 1
            owner=1b4e28ba-2fa1-11d2-883f-0016d3cca427
            host=pacs-01.example.org
            epoch=3
            state=held
            acquired-at=2025-01-31T10:00:00.123Z
            expires-at=2025-01-31T10:01:00Z
            """;

    @Test
    void encodesTheDocumentedFormat() {
        String text = new String(LeaseCodec.encode(RECORD), StandardCharsets.UTF_8);
        assertThat(text).startsWith(GOLDEN);
        assertThat(text.substring(GOLDEN.length())).matches("crc32c=[0-9a-f]{8}\n");
        assertThat(text.length()).isLessThan(LeaseCodec.MAX_SIZE);
    }

    @Test
    void roundTrips() {
        assertThat(LeaseCodec.decode(LeaseCodec.encode(RECORD), WHERE)).isEqualTo(RECORD);
        LeaseRecord released = RECORD.released(Instant.parse("2025-01-31T10:00:30.000000001Z"));
        assertThat(LeaseCodec.decode(LeaseCodec.encode(released), WHERE)).isEqualTo(released);
        LeaseRecord unicodeHost = new LeaseRecord(RECORD.ownerId(), "hôte-ärztehaus=1", Long.MAX_VALUE,
                RECORD.acquiredAt(), RECORD.expiresAt(), LeaseRecord.State.HELD);
        assertThat(LeaseCodec.decode(LeaseCodec.encode(unicodeHost), WHERE)).isEqualTo(unicodeHost);
    }

    @Test
    void everySingleBitFlipIsRejected() {
        byte[] good = LeaseCodec.encode(RECORD);
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                int at = i;
                assertThatThrownBy(() -> LeaseCodec.decode(bad, WHERE))
                        .as("flip of bit %d of byte %d", bit, at)
                        .isInstanceOf(LeaseCorruptException.class)
                        .hasMessageStartingWith("the lease object " + WHERE + " is unreadable: ");
            }
        }
    }

    @Test
    void everyTruncationIsRejected() {
        byte[] good = LeaseCodec.encode(RECORD);
        for (int n = 0; n < good.length; n++) {
            byte[] cut = Arrays.copyOf(good, n);
            assertThatThrownBy(() -> LeaseCodec.decode(cut, WHERE)).isInstanceOf(LeaseCorruptException.class);
        }
    }

    @Test
    void garbageIsRejectedWithAClearMessage() {
        assertThat(reason(new byte[0])).isEqualTo("the object is empty");
        assertThat(reason("{\"owner\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("it does not start with 'pacsfs-lease <version>' (first bytes: '{\"owner\":\"x\"}')");
        assertThat(reason(new byte[] {(byte) 0xff, (byte) 0xfe, 0})).isEqualTo("the object is not valid UTF-8 text");
        assertThat(reason(new byte[2000])).isEqualTo("the object has 2000 bytes, a lease has at most 1024");
        assertThat(reason("pacsfs-lease 2\nowner=whatever\n".getBytes(StandardCharsets.UTF_8)))
                .contains("format version '2' is not supported", "newer pacsfs");
    }

    @Test
    void wellChecksummedButInvalidContentIsRejected() {
        assertThat(reason(withCrc(GOLDEN.replace("\n", "\r\n")))).contains("carriage return");
        assertThat(reason(withCrc(GOLDEN.replace("epoch=3", "epoch=03")))).contains("epoch '03'");
        assertThat(reason(withCrc(GOLDEN.replace("epoch=3", "epoch=0")))).contains("epoch '0'");
        assertThat(reason(withCrc(GOLDEN.replace("epoch=3", "epoch=-3")))).contains("epoch '-3'");
        assertThat(reason(withCrc(GOLDEN.replace("state=held", "state=HELD")))).contains("state 'HELD'");
        assertThat(reason(withCrc(GOLDEN.replace("10:01:00Z", "10:01:00.000Z"))))
                .contains("expires-at '2025-01-31T10:01:00.000Z' is not in canonical form");
        assertThat(reason(withCrc(GOLDEN.replace("2025-01-31T10:01:00Z", "tomorrow")))).contains("expires-at 'tomorrow'");
        assertThat(reason(withCrc(GOLDEN.replace("owner=1b4e", "owner=1B4E")))).contains("owner id");
        assertThat(reason(withCrc(GOLDEN.replace("host=pacs-01.example.org", "host=")))).contains("host name");
        assertThat(reason(withCrc(GOLDEN.replace("host=pacs-01", "host=pa\tcs")))).contains("control characters");
        assertThat(reason(withCrc(GOLDEN.replace("epoch=3\nstate=held", "state=held\nepoch=3"))))
                .contains("line 4 should start with 'epoch='");
        assertThat(reason(withCrc(GOLDEN + "extra=1\n"))).contains("it has 9 lines, a lease has 8");
        assertThat(reason((GOLDEN + "crc32c=00000000\n").getBytes(StandardCharsets.UTF_8)))
                .contains("checksum mismatch: the object says crc32c=00000000");
        byte[] good = LeaseCodec.encode(RECORD);
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        trailing[good.length] = '\n';
        assertThat(reason(trailing)).contains("lines");
    }

    @Test
    void salvagesTheEpochOfADamagedLease() {
        assertThat(LeaseCodec.salvageEpoch((GOLDEN + "crc32c=bad\n").getBytes(StandardCharsets.UTF_8))).isEqualTo(3);
        assertThat(LeaseCodec.salvageEpoch("junk".getBytes(StandardCharsets.UTF_8))).isZero();
    }

    private static byte[] withCrc(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        var crc = new java.util.zip.CRC32C();
        crc.update(b);
        return (body + String.format("crc32c=%08x\n", crc.getValue())).getBytes(StandardCharsets.UTF_8);
    }

    private static String reason(byte[] bytes) {
        try {
            LeaseCodec.decode(bytes, WHERE);
        } catch (LeaseCorruptException e) {
            assertThat(e.getMessage()).isEqualTo("the lease object " + WHERE + " is unreadable: " + e.reason());
            return e.reason();
        }
        throw new AssertionError("accepted: " + new String(bytes, StandardCharsets.UTF_8));
    }
}
