package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import org.pacsfs.core.fs.FileHistory;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.history.PointInTime;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** The history of a filesystem straight from the bucket, with a private temporary directory for its index. */
final class HistoryView implements AutoCloseable {

    final BucketOptions.Connection connection;
    final Path scratch;
    final FileHistory history;

    private HistoryView(BucketOptions.Connection connection, Path scratch, FileHistory history) {
        this.connection = connection;
        this.scratch = scratch;
        this.history = history;
    }

    static FsConfig scratchConfig(Path dir) {
        return FsConfig.defaults(dir).withIndexSize(100_000, 100_000_000);
    }

    static HistoryView open(BucketOptions options, S3Location location) throws CliException {
        BucketOptions.Connection conn = options.connect(location);
        Path scratch = null;
        try {
            scratch = Files.createTempDirectory("pacsfs-history-");
            return new HistoryView(conn, scratch, FileHistory.open(conn.store(), "", scratchConfig(scratch)));
        } catch (IOException | FsException e) {
            conn.close();
            if (scratch != null) {
                Directories.deleteRecursively(scratch);
            }
            throw new CliException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        history.close();
        connection.close();
        Directories.deleteRecursively(scratch);
    }

    /** {@code --at TIME}: an instant, a date-time with offset, or a local date-time in this machine's zone. */
    static final class TimeConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return PointInTime.parse(value, ZoneId.systemDefault());
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("--at: " + e.getMessage());
            }
        }
    }

    static String absolute(String path) {
        return path.startsWith("/") ? path : "/" + path;
    }
}
