package org.pacsfs.fuse.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LostAndFound;
import org.pacsfs.core.fs.Remote;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pacsfs lost-found s3://BUCKET[/PREFIX] --from STATE-DIR}: after this host's lease was taken over, ship the
 * changes its write-log still holds into {@code lost+found/<host>-<time>/} of the filesystem (docs/SEMANTICS.md,
 * failover). Needs the lease: run it where no writer is mounted, or on the new writer's host while unmounted.
 */
@Command(name = "lost-found", description = "Copy the unshipped changes of a former writer's state directory into lost+found/.")
final class LostFoundCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class)
    S3Location location;

    @Option(names = "--from", required = true, paramLabel = "STATE-DIR", description = "The former writer's cache directory (not mounted).")
    Path from;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "The cache directory to mount with for the copy (default: a temporary one).")
    Path cacheDir;

    @Option(names = "--host", paramLabel = "NAME", description = "Host name for the lost+found directory. Default: the former writer's directory name.")
    String host;

    @Mixin
    BucketOptions bucket;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(from)) {
            throw new CliException("--from " + from + " is not a directory");
        }
        try (BucketOptions.Connection conn = bucket.connect(location)) {
            Path target = cacheDir != null ? Directories.createPrivate(cacheDir) : Files.createTempDirectory("pacsfs-lost-found-");
            String name = host != null ? host : from.toAbsolutePath().getFileName().toString();
            LostAndFound.Result r = LostAndFound.recover(from, FsConfig.defaults(target), Remote.of(conn.store(), ""), name);
            System.out.println("pacsfs: recovered " + r.files() + " files (" + r.bytes() + " bytes), " + r.symlinks() + " symlinks, "
                    + r.directories() + " directories into " + r.directory() + "; " + r.removed().size() + " removals listed in RECOVERED.txt");
            if (cacheDir == null) {
                Directories.deleteRecursively(target);
            }
            return 0;
        } catch (FsException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
