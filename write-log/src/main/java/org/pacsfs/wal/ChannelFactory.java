package org.pacsfs.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens the {@link FileChannel}s the log reads and writes segment files through. Injectable so that tests can
 * wrap channels with fault injection (failed {@code force}, {@code ENOSPC}, power loss). Implementations must be
 * thread-safe; the channels they return must honour the {@link FileChannel} contract for positional reads and
 * writes from several threads.
 */
@FunctionalInterface
public interface ChannelFactory {

    /** The production factory: {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])}. */
    ChannelFactory DEFAULT = FileChannel::open;

    /** Opens {@code path} with {@code options}, exactly like {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])}. */
    FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException;
}
