package org.pacsfs.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditKeyTest {

    private static final byte[] RAW = new byte[32];

    static {
        for (int i = 0; i < 32; i++) {
            RAW[i] = (byte) (i * 7 + 3);
        }
    }

    @Test
    void hexBase64AndRawFileGiveTheSameKey(@TempDir Path dir) throws Exception {
        String hex = HexFormat.of().formatHex(RAW);
        AuditKey fromHex = AuditKey.parse(hex + "\n", "test");
        AuditKey fromBase64 = AuditKey.parse(Base64.getEncoder().encodeToString(RAW), "test");
        Path raw = Files.write(dir.resolve("raw.key"), RAW);
        Path text = Files.writeString(dir.resolve("hex.key"), hex.toUpperCase() + "\n");
        assertThat(fromHex.idHex()).isEqualTo(fromBase64.idHex()).isEqualTo(AuditKey.read(raw).idHex())
                .isEqualTo(AuditKey.read(text).idHex()).hasSize(16);
        assertThat(AuditKey.parse(HexFormat.of().formatHex(new byte[32]), "t").idHex()).isNotEqualTo(fromHex.idHex());
    }

    @Test
    void wrongLengthsAreRefusedWithoutQuotingTheKey(@TempDir Path dir) throws Exception {
        String secret = HexFormat.of().formatHex(RAW).substring(0, 62);
        assertThatThrownBy(() -> AuditKey.parse(secret, "PACSFS_AUDIT_KEY"))
                .hasMessageContaining("PACSFS_AUDIT_KEY").hasMessageContaining("32 bytes").hasMessageNotContaining(secret);
        String short64 = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> AuditKey.parse(short64, "k")).hasMessageContaining("decode to 16 bytes");
        Path file = Files.write(dir.resolve("short.key"), new byte[31]);
        assertThatThrownBy(() -> AuditKey.read(file)).hasMessageContaining("31 bytes").hasMessageContaining(file.toString());
    }

    @Test
    void toStringShowsOnlyTheId() {
        AuditKey k = AuditKey.of(RAW);
        assertThat(k.toString()).isEqualTo("AuditKey[id=" + k.idHex() + "]").doesNotContain(HexFormat.of().formatHex(RAW));
    }
}
