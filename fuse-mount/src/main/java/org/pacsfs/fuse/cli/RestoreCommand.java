package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.pacsfs.core.fs.FileHistory;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.history.Restorer;
import org.pacsfs.fuse.MountTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pacsfs restore s3://BUCKET[/PREFIX] PATH --at TIME [--to NEWPATH] [--through MOUNTPOINT]}: bring a file back
 * as of a time, as a new change (history is never rewritten). The change needs the single writer: through the mount
 * that holds the lease ({@code --through}), or, when the filesystem is not mounted anywhere, by taking the lease for
 * the duration of the restore.
 */
@Command(name = "restore", description = {
        "Bring a file back as it was at a time, as a new change: the restored content becomes the newest version, "
                + "the versions in between stay. Written under a temporary name and renamed over NEWPATH (default: PATH).",
        "Where the filesystem is mounted, restore through that mount with --through MOUNTPOINT (the mount holds the "
                + "single-writer lease). Otherwise restore takes the lease itself for the duration, and is refused, "
                + "naming the holder, if another host holds it."})
final class RestoreCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class)
    S3Location location;

    @Parameters(index = "1", paramLabel = "PATH", description = "The file, as a path inside the filesystem.")
    String path;

    @Option(names = "--at", required = true, paramLabel = "TIME", converter = HistoryView.TimeConverter.class,
            description = "2025-06-01T12:00:00Z, 2025-06-01T14:00:00+02:00, or a local date-time 2025-06-01T14:00[:00] "
                    + "(this machine's time zone). 'pacsfs versions' lists the times of the changes.")
    Instant at;

    @Option(names = "--to", paramLabel = "NEWPATH", description = "Where to put it, inside the filesystem. Default: PATH itself.")
    String to;

    @Option(names = "--through", paramLabel = "MOUNTPOINT", description = "The filesystem is mounted here: write through "
            + "this mount (which holds the writer lease).")
    Path through;

    @Mixin
    BucketOptions bucket;

    @Override
    public Integer call() throws Exception {
        String src = HistoryView.absolute(path);
        String dst = HistoryView.absolute(to == null ? path : to);
        if (through != null && !MountTable.isFuseMount(through.toAbsolutePath())) {
            throw new CliException("--through " + through + " is not a mounted pacsfs filesystem");
        }
        try (HistoryView view = HistoryView.open(bucket, location)) {
            FileHistory.Version v = through != null ? throughMount(view, src, dst) : withLease(view, src, dst);
            System.out.println("restored " + src + " as of " + at + " (log segment " + v.seq() + ", " + v.size()
                    + " bytes, sha256 " + v.sha256() + ") to " + dst);
            return 0;
        } catch (FsException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** Writes through the mount: a temporary file beside the destination, forced, then renamed over it. */
    private FileHistory.Version throughMount(HistoryView view, String src, String dst) throws Exception {
        Path target = through.toAbsolutePath().resolve(dst.substring(1));
        Path tmp = through.toAbsolutePath().resolve(Restorer.temporaryName(dst).substring(1));
        boolean done = false;
        try {
            FileHistory.Version v;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(ch);
                v = view.history.readAt(src, at, out);
                out.flush();
                ch.force(true);
            }
            Files.setAttribute(tmp, "unix:mode", v.perm());
            try {
                Files.setAttribute(tmp, "unix:uid", v.owner());
                Files.setAttribute(tmp, "unix:gid", v.group());
            } catch (AccessDeniedException | UnsupportedOperationException e) {
                System.err.println("pacsfs: note: the restored file keeps your ownership (cannot set uid " + v.owner() + ": " + e.getMessage() + ")");
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            return v;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliException("cannot restore to " + dst + ": its directory does not exist in the filesystem");
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Opens the filesystem as its writer (taking the lease) in a temporary state directory, restores, drains, releases. */
    private FileHistory.Version withLease(HistoryView view, String src, String dst) throws CliException, IOException {
        Path state = Files.createDirectories(view.scratch.resolve("writer"));
        FsConfig config = HistoryView.scratchConfig(state);
        try (LocalFileSystem fs = LocalFileSystem.open(config, Remote.of(WormOptions.writerStore(view.connection.store()), ""))) {
            return Restorer.restore(view.history, src, at, fs, dst);
        } catch (FsException e) {
            String hint = e.getMessage() != null && e.getMessage().contains("lease")
                    ? " (if the filesystem is mounted, restore through the mount: --through MOUNTPOINT)" : "";
            throw new CliException("restore " + src + ": " + e.getMessage() + hint);
        }
    }
}
