package org.pacsfs.fuse.cli;

/** A failure the user can act on: printed as one line ("pacsfs: ..."), exit status 1, no stack trace. */
final class CliException extends Exception {

    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
