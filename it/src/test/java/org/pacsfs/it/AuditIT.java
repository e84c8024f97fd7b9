package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.core.store.s3.S3ObjectStore;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * The access-audit trail through a real mount on a real S3 server: files written, read, renamed and removed by shell
 * tools show up in {@code pacsfs audit} with the tools' uid, pid and name and the right paths; the objects in the bucket
 * hold no path in plaintext; a wrong key is refused clearly; a changed byte in the bucket is reported.
 */
@WithS3Proxy
@Timeout(180)
class AuditIT {

    @Test
    void whoDidWhatIsRecordedEncryptedAndReadBack(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("audit");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Path key = work.resolve("audit.key");
        byte[] raw = new byte[32];
        new java.security.SecureRandom().nextBytes(raw);
        Files.writeString(key, HexFormat.of().formatHex(raw) + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path pids = work.resolve("pids");
        try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create", "--audit-key-file",
                key.toString())) {
            assertThat(m.log()).contains("access audit on");
            // Each tool runs as the shell it replaces (exec), so the pid written first is the pid FUSE sees.
            Sh.ok(mnt, "mkdir studies && sh -c 'echo $$ > " + pids + ".write; "
                    + "exec dd if=/dev/zero of=studies/patient-smith.dcm bs=4096 count=10 status=none'");
            Sh.ok(mnt, "sh -c 'echo $$ > " + pids + ".read; exec dd if=studies/patient-smith.dcm iflag=direct bs=40960 of=/dev/null status=none'");
            Sh.ok(mnt, "sh -c 'echo $$ > " + pids + ".mv; exec mv studies/patient-smith.dcm studies/renamed-smith.dcm'");
            Sh.ok(mnt, "sh -c 'echo $$ > " + pids + ".rm; exec rm studies/renamed-smith.dcm'");
            PacsfsProcess.Result status = PacsfsProcess.run(null, Duration.ofSeconds(30), "status", mnt.toString());
            assertThat(status.output()).containsPattern("(?m)^audit +true$").containsPattern("(?m)^audit\\.stream +[0-9a-f]{32}$")
                    .containsPattern("(?m)^worm +false$").containsPattern("(?m)^retention +180d$");
            m.unmount();
            assertThat(m.log()).contains("closed:").doesNotContain(HexFormat.of().formatHex(raw));
        }
        String writer = pid(pids, "write");
        PacsfsProcess.Result r = audit(bucket, "--key-file", key.toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        String out = r.output();
        assertThat(out).contains("result:     OK");
        assertThat(line(out, "CREATE /studies/patient-smith.dcm")).contains("uid=0", "pid=" + writer + " (dd)", "flags=write|create");
        assertThat(line(out, "CLOSE /studies/patient-smith.dcm ino=", "bytesWritten=40960")).contains("pid=" + writer + " (dd)")
                .contains("writes=");
        assertThat(line(out, "OPEN /studies/patient-smith.dcm", "flags=read ")).contains("pid=" + pid(pids, "read") + " (dd)");
        assertThat(line(out, "CLOSE /studies/patient-smith.dcm", "bytesRead=40960")).contains("pid=" + pid(pids, "read"));
        assertThat(line(out, "RENAME /studies/patient-smith.dcm -> /studies/renamed-smith.dcm"))
                .contains("pid=" + pid(pids, "mv") + " (mv)", " ok");
        assertThat(line(out, "UNLINK /studies/renamed-smith.dcm")).contains("pid=" + pid(pids, "rm") + " (rm)", " ok");
        assertThat(line(out, "MKDIR /studies")).contains("mode=0755");

        PacsfsProcess.Result json = audit(bucket, "--key-file", key.toString(), "--json", "--path", "/studies/renamed-smith.dcm");
        assertThat(json.exitCode()).as(json.output()).isZero();
        assertThat(json.output()).contains("\"kind\":\"RENAME\"", "\"path2\":\"/studies/renamed-smith.dcm\"", "\"kind\":\"UNLINK\"")
                .doesNotContain("\"kind\":\"CREATE\"");

        List<String> objects;
        try (S3ObjectStore store = bucket.newStore()) {
            objects = store.listAll("audit/").map(ObjectInfo::key).toList();
            assertThat(objects).isNotEmpty();
            for (String k : objects) {
                String bytes = new String(store.get(k).bytes(), StandardCharsets.ISO_8859_1);
                assertThat(bytes).doesNotContain("smith").doesNotContain("studies");
            }
            Path other = Files.writeString(work.resolve("other.key"), HexFormat.of().formatHex(new byte[32]));
            PacsfsProcess.Result wrong = audit(bucket, "--key-file", other.toString());
            assertThat(wrong.exitCode()).isEqualTo(1);
            assertThat(wrong.output()).contains("wrong audit key").doesNotContain("smith");

            byte[] b = store.get(objects.get(0)).bytes();
            b[b.length - 1] ^= 0x40;
            store.put(objects.get(0), b, PutCondition.none());
        }
        PacsfsProcess.Result damaged = audit(bucket, "--key-file", key.toString());
        assertThat(damaged.exitCode()).as(damaged.output()).isEqualTo(3);
        assertThat(damaged.output()).contains("PROBLEM SEGMENT_DAMAGED " + objects.get(0), "authentication tag does not verify");
    }

    private static PacsfsProcess.Result audit(S3TestBucket bucket, String... args) throws Exception {
        String[] all = new String[args.length + 4];
        all[0] = "audit";
        all[1] = "s3://" + bucket.name();
        all[2] = "--endpoint";
        all[3] = bucket.endpoint().toString();
        System.arraycopy(args, 0, all, 4, args.length);
        return PacsfsProcess.run(bucket, Duration.ofSeconds(60), all);
    }

    private static String pid(Path pids, String what) throws Exception {
        return Files.readString(Path.of(pids + "." + what)).strip();
    }

    /** The one output line holding all of {@code parts}. */
    private static String line(String out, String... parts) {
        List<String> lines = out.lines().filter(l -> List.of(parts).stream().allMatch(l::contains)).toList();
        assertThat(lines).as("lines with %s in:%n%s", List.of(parts), out).hasSize(1);
        return lines.get(0);
    }
}
