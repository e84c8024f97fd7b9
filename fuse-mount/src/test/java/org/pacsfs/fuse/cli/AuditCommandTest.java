package org.pacsfs.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.audit.AuditEvent;
import org.pacsfs.core.audit.AuditKind;

/** pacsfs audit and the mount's audit options without a bucket: usage errors, key errors, the printed lines. */
class AuditCommandTest {

    private static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setErr(new PrintStream(b, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aMissingOrMalformedKeyFailsBeforeAnyConnection(@TempDir Path dir) throws Exception {
        if (System.getenv("PACSFS_AUDIT_KEY") == null) {
            assertThat(Main.run("audit", "s3://b")).isEqualTo(2);
        }
        int[] rc = new int[1];
        String err = stderrOf(() -> rc[0] = Main.run("audit", "s3://b", "--key-file", dir.resolve("none.key").toString()));
        assertThat(rc[0]).isEqualTo(1);
        assertThat(err).contains("audit key file").contains("does not exist");
        Path shortKey = Files.writeString(dir.resolve("short.key"), "abcdef0123");
        err = stderrOf(() -> rc[0] = Main.run("audit", "s3://b", "--key-file", shortKey.toString()));
        assertThat(rc[0]).isEqualTo(1);
        assertThat(err).contains("32 bytes").doesNotContain("abcdef0123");
        err = stderrOf(() -> rc[0] = Main.run("mount", "s3://b", dir.toString(), "--foreground", "--audit-key-file", shortKey.toString()));
        assertThat(rc[0]).isEqualTo(1);
        assertThat(err).contains("32 bytes");
        err = stderrOf(() -> rc[0] = Main.run("mount", "s3://b", dir.toString(), "--foreground", "--audit-interval", "10s"));
        assertThat(rc[0]).isEqualTo(1);
        assertThat(err).contains("--audit-interval needs --audit-key-file or --audit");
    }

    @Test
    void eventsPrintAsOneLineOrOneJsonObject() {
        AuditEvent e = new AuditEvent(AuditKind.OPEN, 1, 1_700_000_000_123_456_789L, 1000, 100, 4242, "storescp", 17,
                "/studies/a \"b\".dcm", "", new long[] {01 | 02000});
        assertThat(AuditCommand.Printer.text(e)).isEqualTo("2023-11-14T22:13:20.123456789Z uid=1000 gid=100 pid=4242 (storescp) "
                + "OPEN /studies/a \"b\".dcm ino=17 flags=write|append error=EPERM");
        assertThat(AuditCommand.Printer.json("ab", 3, e)).isEqualTo("{\"time\":\"2023-11-14T22:13:20.123456789Z\",\"kind\":\"OPEN\","
                + "\"uid\":1000,\"gid\":100,\"pid\":4242,\"process\":\"storescp\",\"path\":\"/studies/a \\\"b\\\".dcm\",\"ino\":17,"
                + "\"flags\":1025,\"errno\":1,\"stream\":\"ab\",\"segment\":3}");
        AuditEvent mv = new AuditEvent(AuditKind.RENAME, 0, 0, 0, 0, 0, "", -1, "/a", "/b", null);
        assertThat(AuditCommand.Printer.text(mv)).endsWith("RENAME /a -> /b ok");
    }
}
