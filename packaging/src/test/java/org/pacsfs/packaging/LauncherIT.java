package org.pacsfs.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The tar.gz as an administrator uses it: unpacked into a path with spaces, bin/pacsfs finds a JDK 17+ (and refuses
 * old Java and JREs with a clear message), mount.pacsfs maps mount options, and a real mount runs from it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class LauncherIT {

    private Path work;
    private Path home;
    private String pacsfs;

    @BeforeAll
    void unpack() throws Exception {
        work = Build.freshDirectory("launcher it/a dir with spaces");
        Sh.ok(work, "tar xzf " + Sh.q(Build.artifact("pacsfs-*.tar.gz")));
        try (var s = Files.list(work)) {
            home = s.findFirst().orElseThrow();
        }
        pacsfs = Sh.q(home.resolve("bin/pacsfs"));
        // Stub JDKs: java prints a version as the real one does (on stderr); a "JRE" has no javac.
        stub("jdk11", "openjdk version \\\"11.0.2\\\" 2019-01-15", true);
        stub("jdk8", "java version \\\"1.8.0_292\\\"", true);
        stub("jre17", "openjdk version \\\"17.0.2\\\" 2022-01-18", false);
        Files.createDirectories(work.resolve("empty-jvm-dir"));
    }

    private void stub(String name, String versionLine, boolean javac) throws Exception {
        Path bin = Files.createDirectories(work.resolve("stubs").resolve(name).resolve("bin"));
        Files.writeString(bin.resolve("java"), "#!/bin/sh\necho \"" + versionLine + "\" >&2\n");
        Sh.ok(bin, "chmod +x java" + (javac ? " && cp java javac" : ""));
    }

    private Sh.Result launcher(Map<String, String> env, String args) throws Exception {
        return Sh.run(work, env, "unset JAVA_HOME PACSFS_JAVA_HOME; export PACSFS_DEFAULTS=/nonexistent; "
                + env.entrySet().stream().map(e -> "export " + e.getKey() + "=" + Sh.q(e.getValue()) + "; ")
                .reduce("", String::concat) + pacsfs + " " + args);
    }

    @Test
    void runsFromAPathWithSpaces() throws Exception {
        Sh.Result r = launcher(Map.of(), "--version");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).startsWith("pacsfs ");
        Sh.Result check = launcher(Map.of(), "config check " + Sh.q(home.resolve("conf/pacsfs.conf.example")));
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).endsWith("pacsfs.conf.example: ok\n");
    }

    @Test
    void refusesAJavaOlderThan17ByName() throws Exception {
        Sh.Result r = launcher(Map.of("PACSFS_JAVA_HOME", work.resolve("stubs/jdk11").toString()), "--version");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).isEqualTo("pacsfs: PACSFS_JAVA_HOME=" + work.resolve("stubs/jdk11") + " cannot run pacsfs: "
                + work.resolve("stubs/jdk11/bin/java") + ": Java 11 is too old (pacsfs needs Java 17 or newer)\n");
    }

    @Test
    void refusesWhenOnlyOldJavaOrAJreIsFound() throws Exception {
        Sh.Result r = launcher(Map.of("PATH", work.resolve("stubs/jdk8/bin") + ":/usr/bin:/bin",
                "PACSFS_JVM_DIR", work.resolve("empty-jvm-dir").toString()), "--version");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).startsWith("pacsfs: no JDK 17 or newer found; pacsfs needs a full JDK (not a JRE)")
                .contains(work.resolve("stubs/jdk8/bin/java") + ": Java 8 is too old (pacsfs needs Java 17 or newer)");
        Sh.Result jre = launcher(Map.of("PACSFS_JAVA_HOME", work.resolve("stubs/jre17").toString()), "--version");
        assertThat(jre.exitCode()).isEqualTo(1);
        assertThat(jre.output()).contains("Java 17 is a JRE, not a full JDK (no javac");
    }

    @Test
    void theJdkDirectoryIsSearchedWhenJavaHomeAndPathHaveNoGoodJava() throws Exception {
        Path jvms = Files.createDirectories(work.resolve("jvms"));
        Files.createSymbolicLink(jvms.resolve("zz-old-11"), work.resolve("stubs/jdk11"));
        Files.createSymbolicLink(jvms.resolve("aa-this-jdk"), Path.of(System.getProperty("java.home")));
        Sh.Result r = launcher(Map.of("PATH", work.resolve("stubs/jdk8/bin") + ":/usr/bin:/bin", "JAVA_HOME",
                work.resolve("stubs/jre17").toString(), "PACSFS_JVM_DIR", jvms.toString()), "--version");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).startsWith("pacsfs ");
    }

    @Test
    void anOldJavaHomeIsPassedOverForAGoodJdk() throws Exception {
        Sh.Result r = launcher(Map.of("JAVA_HOME", work.resolve("stubs/jdk11").toString()), "--version");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).startsWith("pacsfs ");
    }

    @Test
    void mountHelperMapsOptionsAndRefusesTypos() throws Exception {
        String helper = Sh.q(home.resolve("bin/mount.pacsfs"));
        Sh.Result fake = Sh.run(work, helper + " s3://archive/pacs '/mnt/pacs dir' -f -o rw,_netdev,cache-dir=/var/lib/pacsfs/a,"
                + "allow_other -o uid=1000,ro");
        assertThat(fake.exitCode()).as(fake.output()).isZero();
        assertThat(fake.output()).isEqualTo("mount.pacsfs: pacsfs mount s3://archive/pacs /mnt/pacs\\ dir --cache-dir "
                + "/var/lib/pacsfs/a --allow-other --read-only -o uid=1000\n");
        Sh.Result typo = Sh.run(work, helper + " s3://archive/pacs /mnt/pacs -o cache_dri=/x");
        assertThat(typo.exitCode()).isEqualTo(1);
        assertThat(typo.output()).startsWith("pacsfs: unknown option 'cache_dri=/x' (did you mean 'cache-dir'?)");
        assertThat(Sh.run(work, helper + " s3://archive/pacs").exitCode()).isEqualTo(1);
    }

    @Test
    void mountsWithTheEmbeddedS3ServerOfTheDistributionAlsoFromAConfigFile() throws Exception {
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Map<String, String> env = Map.of("HOME", work.toString());
        String mount = pacsfs + " mount --embedded-s3 " + Sh.q(work.resolve("s3")) + " --cache-dir " + Sh.q(work.resolve("cache"))
                + " " + Sh.q(mnt);
        try {
            Sh.ok(work, env, mount);
            Sh.ok(mnt, "echo hello > a.txt && cat a.txt");
            Sh.ok(work, env, pacsfs + " unmount " + Sh.q(mnt));
            // Again as pacsfs@.service starts it: options from a configuration file; started once mounted.
            Path conf = work.resolve("embedded.conf");
            Files.writeString(conf, "# as in /etc/pacsfs/NAME.conf\nembedded-s3 = " + work.resolve("s3") + "\nmountpoint = " + mnt
                    + "\ncache-dir = " + work.resolve("cache") + "\n");
            Sh.ok(work, env, Sh.q(home.resolve("libexec/mount-config")) + " " + Sh.q(conf));
            Sh.ok(work, "timeout 60 " + Sh.q(home.resolve("libexec/wait-mounted")) + " " + Sh.q(conf));
            assertThat(Sh.ok(mnt, "cat a.txt")).isEqualTo("hello\n");
            Sh.ok(work, env, pacsfs + " unmount " + Sh.q(mnt));
        } finally {
            Sh.run(work, "mountpoint -q " + Sh.q(mnt) + " && fusermount -uz " + Sh.q(mnt));
        }
    }
}
