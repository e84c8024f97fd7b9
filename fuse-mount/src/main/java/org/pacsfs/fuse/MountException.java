package org.pacsfs.fuse;

/** A mount that cannot be made, with a one-line reason saying what to do about it. */
public final class MountException extends Exception {

    public MountException(String message) {
        super(message);
    }
}
