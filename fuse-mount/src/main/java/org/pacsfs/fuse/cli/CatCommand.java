package org.pacsfs.fuse.cli;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.OpenFlags;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code pacsfs cat s3://BUCKET[/PREFIX] PATH}: write a file of the filesystem in the bucket to stdout, without mounting. */
@Command(name = "cat", description = "Print a file straight from the bucket (no mount; what S3 holds now). Checksums are verified.")
final class CatCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class)
    S3Location location;

    @Parameters(index = "1", paramLabel = "PATH")
    String path;

    @Mixin
    BucketOptions bucket;

    @picocli.CommandLine.Option(names = "--at", paramLabel = "TIME", converter = HistoryView.TimeConverter.class,
            description = "Print the file as it was at TIME (2025-06-01T12:00:00Z, 2025-06-01T14:00:00+02:00, or a local "
                    + "date-time 2025-06-01T14:00[:00]); see pacsfs versions. Default: as it is now.")
    java.time.Instant at;

    @Override
    public Integer call() throws Exception {
        String p = path.startsWith("/") ? path : "/" + path;
        if (at != null) {
            return catAt(p);
        }
        try (BucketView view = BucketView.open(bucket, location)) {
            long fh = view.fs.open(p, OpenFlags.O_RDONLY);
            try {
                OutputStream out = System.out;
                ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                long offset = 0;
                while (true) {
                    buf.clear();
                    int n = view.fs.read(fh, offset, buf);
                    if (n <= 0) {
                        break;
                    }
                    out.write(buf.array(), 0, n);
                    offset += n;
                }
                out.flush();
            } finally {
                view.fs.release(fh);
            }
            return 0;
        } catch (FsException e) {
            throw new CliException(path + ": " + e.errno() + " (" + e.getMessage() + ")");
        }
    }

    /** The file as of {@link #at}, from the metadata log (history never takes a checkpoint's shortcut). */
    private int catAt(String p) throws Exception {
        try (HistoryView view = HistoryView.open(bucket, location)) {
            OutputStream out = new java.io.BufferedOutputStream(System.out, 1 << 20);
            view.history.readAt(p, at, out);
            out.flush();
            return 0;
        } catch (FsException e) {
            throw new CliException(path + ": " + e.errno() + " (" + e.getMessage() + ")");
        }
    }
}
