package org.pacsfs.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The configuration file and the fstab options of mount.pacsfs, turned into pacsfs mount arguments. */
class ConfigFileTest {

    @TempDir
    Path dir;

    private Path file(String... lines) throws Exception {
        return Files.write(dir.resolve("a.conf"), List.of(lines));
    }

    @Test
    void aFileBecomesTheEquivalentCommandLineInFileOrder() throws Exception {
        Path f = file("# comment", "", "source = s3://archive/pacs", "mountpoint = /mnt/pacs dir",
                "  cache-dir=/var/lib/pacsfs/a  ", "wal-cap = 20G", "read-only = false", "create = true",
                "allow-other = false", "checksums = when_required", "fuse-options = uid=1000, gid=1000");
        assertThat(ConfigFile.check(f)).isEmpty();
        assertThat(ConfigFile.arguments(f)).containsExactly("s3://archive/pacs", "/mnt/pacs dir", "--cache-dir",
                "/var/lib/pacsfs/a", "--wal-cap", "20G", "--create", "--no-allow-other", "--checksums", "when_required",
                "-o", "uid=1000,gid=1000");
    }

    @Test
    void theArgumentsParseAsAMountCommand() throws Exception {
        Path f = file("source = s3://b/p", "mountpoint = /mnt/x", "endpoint = https://s3.example.org", "durability = remote",
                "drain-timeout = 30", "capacity = 1T", "take-over = true");
        MountCommand m = new MountCommand();
        new CommandLine(m).parseArgs(ConfigFile.arguments(f).toArray(String[]::new));
        assertThat(m.positional).containsExactly("s3://b/p", "/mnt/x");
        assertThat(m.durability).isEqualTo("remote");
        assertThat(m.drainTimeoutSeconds).isEqualTo(30);
        assertThat(m.capacity).isEqualTo(1L << 40);
        assertThat(m.takeOver).isTrue();
        assertThat(m.bucket.endpoint).hasToString("https://s3.example.org");
    }

    @Test
    void everyMountOptionButForegroundAndConfigIsAKey() {
        List<String> expected = new ArrayList<>();
        for (OptionSpec o : CommandSpec.forAnnotatedObject(new MountCommand()).options()) {
            // --foreground is the service's business, --config names the file itself (a file cannot include another)
            if (o.longestName().startsWith("--") && !o.longestName().equals("--foreground") && !o.longestName().equals("--config")) {
                expected.add(o.longestName().substring(2));
            }
        }
        assertThat(expected).contains("cache-dir", "endpoint", "wal-cap", "read-only", "allow-other");
        assertThat(ConfigFile.keys()).containsAll(expected).contains("source", "mountpoint", "fuse-options", "expected-files")
                .doesNotContain("foreground", "config");
    }

    @Test
    void eachProblemIsNamedWithItsLineAndWhatIsAccepted() throws Exception {
        Path f = file("source = s3://b", "mountpoint = relative", "cache_dir = /x", "wal-cap = 4X", "durability = fast",
                "checksums = nope", "foreground = true", "create = yes", "endpoint = https://a", "endpoint = https://b",
                "drain-timeout = -1", "region =", "just words", "background-nice = 20");
        List<String> problems = ConfigFile.check(f);
        List<String> expected = List.of(
                "line 2: mountpoint must be an absolute path, got 'relative'",
                "line 3: unknown key 'cache_dir' (did you mean 'cache-dir'?); accepted keys: allow-other, at, audit, audit-interval, audit-key-file, background-nice, ca-bundle, cache-dir,",
                "line 4: wal-cap: Invalid value for option '--wal-cap': '4X' is not a size; use a number of bytes with an "
                        + "optional suffix K, M, G or T (e.g. 512M)",
                "line 5: durability: 'fast' is not a durability; use local or remote",
                "line 6: checksums: Invalid value for option '--checksums': expected one of [WHEN_SUPPORTED, WHEN_REQUIRED]",
                "line 7: unknown key 'foreground' (it is chosen by how pacsfs is started, not in the file); accepted keys: ",
                "line 8: create: 'yes' is not a flag value; use true or false",
                "line 10: endpoint is already set on line 9",
                "line 11: drain-timeout: '-1' must be >= 0 seconds",
                "line 12: region has no value",
                "line 13: 'just words' is not 'key = value'",
                "line 14: background-nice: '20' is not a nice value; use 0 (normal priority) to 19");
        assertThat(problems).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(problems.get(i)).startsWith(expected.get(i));
        }
        assertThatThrownBy(() -> ConfigFile.arguments(f)).isInstanceOf(ConfigFile.ConfigException.class)
                .satisfies(e -> assertThat(((ConfigFile.ConfigException) e).problems()).isEqualTo(problems));
    }

    @Test
    void sourceAndMountpointAreRequiredAndSourceMustBeAnS3Location() throws Exception {
        assertThat(ConfigFile.check(file("cache-dir = /x"))).containsExactly(
                "source is missing (e.g. source = s3://BUCKET/PREFIX)", "mountpoint is missing (e.g. mountpoint = /mnt/pacs)");
        assertThat(ConfigFile.check(file("source = /data", "mountpoint = /m"))).singleElement().asString()
                .startsWith("line 1: source: '/data' is not an S3 location");
        assertThat(ConfigFile.arguments(file("embedded-s3 = /srv/s3", "mountpoint = /m")))
                .containsExactly("/m", "--embedded-s3", "/srv/s3");
    }

    @Test
    void fstabOptionsMapOntoTheCliOptions() throws Exception {
        assertThat(ConfigFile.mountArguments("s3://b/p", "/mnt/pacs",
                "rw,_netdev,defaults,noauto,nofail,x-systemd.automount,comment=x,cache-dir=/var/lib/pacsfs/a,"
                        + "allow_other,uid=1000,gid=1000,nosuid,create,wal_cap=8G,path-style=true,relatime", false))
                .containsExactly("s3://b/p", "/mnt/pacs", "--cache-dir", "/var/lib/pacsfs/a", "--allow-other", "--create",
                        "--wal-cap", "8G", "--path-style", "-o", "uid=1000,gid=1000,nosuid");
        assertThat(ConfigFile.mountArguments("s3://b", "/m", "ro,allow-other=false,read-only", false))
                .containsExactly("s3://b", "/m", "--read-only", "--no-allow-other");
        assertThat(ConfigFile.mountArguments("s3://b", "/m", "", false)).containsExactly("s3://b", "/m");
        assertThat(ConfigFile.mountArguments("none", "/m", "embedded-s3=/srv/s3", false))
                .containsExactly("/m", "--embedded-s3", "/srv/s3");
    }

    @Test
    void fstabTyposAndBadValuesAreRefusedUnlessSloppy() throws Exception {
        assertThatThrownBy(() -> ConfigFile.mountArguments("s3://b", "/m", "cache-dri=/x", false))
                .hasMessageStartingWith("unknown option 'cache-dri=/x' (did you mean 'cache-dir'?); pacsfs options: ");
        assertThat(ConfigFile.mountArguments("s3://b", "/m", "cache-dri=/x,uid=1", true)).containsExactly("s3://b", "/m", "-o", "uid=1");
        assertThatThrownBy(() -> ConfigFile.mountArguments("s3://b", "/m", "cache-dir", false))
                .hasMessage("option 'cache-dir' needs a value (cache-dir=DIR)");
        assertThatThrownBy(() -> ConfigFile.mountArguments("s3://b", "/m", "wal-cap=3Q", false))
                .hasMessageContaining("'3Q' is not a size");
        assertThatThrownBy(() -> ConfigFile.mountArguments("s3://b", "/m", "foreground", false))
                .hasMessageContaining("mount.pacsfs always mounts in the background");
        assertThatThrownBy(() -> ConfigFile.mountArguments("bucket", "/m", "", false))
                .hasMessageContaining("'bucket' is not an S3 location");
    }

    @Test
    void libfuseOptionsPassThrough() throws Exception {
        String fuse = "uid=1,gid=2,umask=027,default_permissions,allow_root,max_read=131072,use_ino,readdir_ino,direct_io,"
                + "kernel_cache,auto_cache,entry_timeout=1,negative_timeout=1,attr_timeout=1,ac_attr_timeout=1,intr,hard_remove,"
                + "fsname=x,subtype=y,nonempty,nosuid,nodev,noexec,sync,dirsync,noatime";
        assertThat(ConfigFile.mountArguments("s3://b", "/m", fuse, false)).containsExactly("s3://b", "/m", "-o", fuse);
        assertThatThrownBy(() -> ConfigFile.mountArguments("s3://b", "/m", "cache_dri=/x", false))
                .hasMessageStartingWith("unknown option 'cache_dri=/x' (did you mean 'cache-dir'?)");
    }

    @Test
    void expandReplacesConfigOfAMountCommandInPlace() throws Exception {
        Path f = file("source = s3://b/p", "mountpoint = /mnt/x", "cache-dir = /c");
        assertThat(ConfigFile.expand("mount", "--config", f.toString(), "--foreground"))
                .containsExactly("mount", "s3://b/p", "/mnt/x", "--cache-dir", "/c", "--foreground");
        assertThat(ConfigFile.expand("mount", "--debug", "--config=" + f))
                .containsExactly("mount", "--debug", "s3://b/p", "/mnt/x", "--cache-dir", "/c");
        assertThat(ConfigFile.expand("ls", "--config", "x")).containsExactly("ls", "--config", "x");
        assertThat(ConfigFile.expand("mount", "--", "--config", "x")).containsExactly("mount", "--", "--config", "x");
        assertThatThrownBy(() -> ConfigFile.expand("mount", "--config"))
                .isInstanceOf(ConfigFile.ConfigException.class).hasMessage("--config needs a FILE");
        assertThatThrownBy(() -> ConfigFile.expand("mount", "--config", dir.resolve("none").toString()))
                .hasMessage("--config " + dir.resolve("none") + ": no such file");
        Path bad = Files.write(dir.resolve("bad.conf"), List.of("source = s3://b", "mountpoint = /m", "wal-cap = x"));
        assertThatThrownBy(() -> ConfigFile.expand("mount", "--config", bad.toString()))
                .hasMessageStartingWith(bad + ": line 3: wal-cap: Invalid value");
    }

    @Test
    void shellQuotingOnlyWhereNeeded() {
        assertThat(ConfigCommand.quote("/var/lib/pacsfs/a")).isEqualTo("/var/lib/pacsfs/a");
        assertThat(ConfigCommand.quote("/mnt/a b")).isEqualTo("'/mnt/a b'");
        assertThat(ConfigCommand.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(ConfigCommand.quote("")).isEqualTo("''");
    }
}
