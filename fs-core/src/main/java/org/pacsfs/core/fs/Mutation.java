package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One change to one key of the index, carrying the resulting state (never a delta), so that applying a logged
 * mutation twice, or replaying it onto an index that already has it, gives the same result.
 */
sealed interface Mutation {
    byte PUT_INODE = 1, DELETE_INODE = 2, PUT_DENTRY = 3, DELETE_DENTRY = 4, TRUNCATE = 5, SET_XATTRS = 6;

    int encodedSize();

    void encode(ByteBuffer out);

    /** The inode's new state. A file inode with nlink 0 is an orphan: kept while open, deleted at its last close. */
    record PutInode(Inode inode) implements Mutation {
        public int encodedSize() {
            return 1 + inode.encodedSize();
        }

        public void encode(ByteBuffer out) {
            out.put(PUT_INODE);
            inode.encode(out);
        }
    }

    /** The inode is gone, with its data extents, directory bookkeeping and extended attributes. */
    record DeleteInode(long ino) implements Mutation {
        public int encodedSize() {
            return 9;
        }

        public void encode(ByteBuffer out) {
            out.put(DELETE_INODE).putLong(ino);
        }
    }

    /** Name {@code name} in directory {@code parent} now refers to {@code child}. */
    record PutDentry(long parent, String name, long child, FileType type) implements Mutation {
        public int encodedSize() {
            return 1 + 8 + 2 + utf8(name).length + 8 + 1;
        }

        public void encode(ByteBuffer out) {
            byte[] n = utf8(name);
            out.put(PUT_DENTRY).putLong(parent).putShort((short) n.length).put(n).putLong(child).put((byte) type.ordinal());
        }
    }

    /** Name {@code name} in directory {@code parent} no longer exists. */
    record DeleteDentry(long parent, String name) implements Mutation {
        public int encodedSize() {
            return 1 + 8 + 2 + utf8(name).length;
        }

        public void encode(ByteBuffer out) {
            byte[] n = utf8(name);
            out.put(DELETE_DENTRY).putLong(parent).putShort((short) n.length).put(n);
        }
    }

    /** File data at and after {@code size} is dropped (a later growth reads zeros there). */
    record Truncate(long ino, long size) implements Mutation {
        public int encodedSize() {
            return 17;
        }

        public void encode(ByteBuffer out) {
            out.put(TRUNCATE).putLong(ino).putLong(size);
        }
    }

    /** The complete set of extended attributes of {@code ino} ({@link Xattrs} encoding; empty = none). */
    record SetXattrs(long ino, byte[] blob) implements Mutation {
        public int encodedSize() {
            return 1 + 8 + 4 + blob.length;
        }

        public void encode(ByteBuffer out) {
            out.put(SET_XATTRS).putLong(ino).putInt(blob.length).put(blob);
        }
    }

    static Mutation decode(ByteBuffer in) {
        byte kind = in.get();
        return switch (kind) {
            case PUT_INODE -> new PutInode(Inode.decode(in));
            case DELETE_INODE -> new DeleteInode(in.getLong());
            case PUT_DENTRY -> new PutDentry(in.getLong(), readName(in), in.getLong(), FileType.fromCode(in.get()));
            case DELETE_DENTRY -> new DeleteDentry(in.getLong(), readName(in));
            case TRUNCATE -> new Truncate(in.getLong(), in.getLong());
            case SET_XATTRS -> {
                long ino = in.getLong();
                byte[] blob = new byte[in.getInt()];
                in.get(blob);
                yield new SetXattrs(ino, blob);
            }
            default -> throw new IllegalStateException("unknown mutation kind " + kind + " in a write-log record");
        };
    }

    private static String readName(ByteBuffer in) {
        byte[] n = new byte[in.getShort() & 0xFFFF];
        in.get(n);
        return new String(n, StandardCharsets.UTF_8);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
