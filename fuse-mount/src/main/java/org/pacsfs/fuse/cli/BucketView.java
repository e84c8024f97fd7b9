package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.Remote;

/** A read-only view of a filesystem straight from the bucket, with a private temporary state directory. */
final class BucketView implements AutoCloseable {

    private final BucketOptions.Connection connection;
    private final Path state;
    final LocalFileSystem fs;

    private BucketView(BucketOptions.Connection connection, Path state, LocalFileSystem fs) {
        this.connection = connection;
        this.state = state;
        this.fs = fs;
    }

    static BucketView open(BucketOptions options, S3Location location) throws CliException {
        BucketOptions.Connection conn = options.connect(location);
        Path state = null;
        try {
            state = Files.createTempDirectory("pacsfs-view-");
            LocalFileSystem fs = LocalFileSystem.openReadOnly(FsConfig.defaults(state).withIndexSize(100_000, 100_000_000), Remote.of(conn.store(), ""));
            return new BucketView(conn, state, fs);
        } catch (IOException | FsException e) {
            conn.close();
            if (state != null) {
                Directories.deleteRecursively(state);
            }
            throw new CliException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            fs.close();
        } catch (FsException e) {
            // A read-only view has nothing to save.
        }
        connection.close();
        Directories.deleteRecursively(state);
    }
}
