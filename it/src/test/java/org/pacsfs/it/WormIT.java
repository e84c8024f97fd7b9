package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * WORM through a real mount on a real S3 server: a file closed and idle for the grace period cannot be removed, appended
 * to, renamed or chmod-ed ("Operation not permitted"), also after a remount; new files can still be written; the
 * settings cannot be changed by a later mount; S3Proxy has no Object Lock and the user is told so.
 */
@WithS3Proxy
@Timeout(180)
class WormIT {

    @Test
    void aClosedIdleFileIsWriteOnceThroughTheMountAndAfterARemount(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("worm");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create", "--worm",
                "--worm-grace", "2s", "--retention", "30d")) {
            assertThat(m.log()).contains("WORM is enforced by pacsfs only; the bucket does not have Object Lock");
            Files.writeString(mnt.resolve("scan.dcm"), "pixels");
            Sh.ok(mnt, "echo more >> scan.dcm"); // within the grace period
            Thread.sleep(3000);
            for (String forbidden : new String[] {"rm -f scan.dcm", "echo x >> scan.dcm", "mv scan.dcm moved.dcm",
                    "chmod 600 scan.dcm", ": > scan.dcm"}) {
                Sh.Result r = Sh.run(mnt, forbidden);
                assertThat(r.exitCode()).as(forbidden).isNotZero();
                assertThat(r.output()).as(forbidden).contains("Operation not permitted");
            }
            assertThat(Files.readString(mnt.resolve("scan.dcm"))).isEqualTo("pixels" + "more\n");
            Sh.ok(mnt, "echo new > second.dcm && cat second.dcm");
            m.unmount();
        }
        PacsfsProcess.Result changed = PacsfsProcess.run(bucket, Duration.ofSeconds(60), "mount", "s3://" + bucket.name(),
                mnt.toString(), "--cache-dir", work.resolve("cache").toString(), "--foreground", "--expected-files", "20000",
                "--endpoint", bucket.endpoint().toString(), "--retention", "1d");
        assertThat(changed.exitCode()).as(changed.output()).isNotZero();
        assertThat(changed.output()).contains("created with WORM on (grace 2s), retention 30d").contains("cannot be changed");
        try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-b"))) {
            Sh.Result r = Sh.run(mnt, "rm -f scan.dcm");
            assertThat(r.output()).contains("Operation not permitted");
            assertThat(Files.readString(mnt.resolve("scan.dcm"))).isEqualTo("pixels" + "more\n");
            m.unmount();
        }

        // settings.json deleted behind pacsfs's back (no Object Lock here): nothing may fall back to "WORM off".
        bucket.newStore().delete("settings.json");
        PacsfsProcess.Result refused = PacsfsProcess.run(bucket, Duration.ofSeconds(60), "mount", "s3://" + bucket.name(),
                mnt.toString(), "--cache-dir", work.resolve("cache").toString(), "--foreground", "--expected-files", "20000",
                "--endpoint", bucket.endpoint().toString());
        assertThat(refused.exitCode()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("are missing").contains("deleted or lost");
        PacsfsProcess.Result verify = PacsfsProcess.run(bucket, Duration.ofSeconds(60), "verify", "s3://" + bucket.name(),
                "--endpoint", bucket.endpoint().toString());
        assertThat(verify.output()).contains("PROBLEM SETTINGS_MISSING");
        try (PacsfsProcess.Mount m = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-c"), "--worm", "--worm-grace", "2s",
                "--retention", "30d")) { // the operator states the creation settings again
            assertThat(Sh.run(mnt, "rm -f scan.dcm").output()).contains("Operation not permitted");
            m.unmount();
        }
    }
}
