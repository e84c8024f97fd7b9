package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An inode as the index and the write-log store it. Immutable: every change makes a new value, which is logged whole
 * (so that replaying its record is a blind, idempotent write).
 *
 * @param lsn    LSN of the write-log record that produced this state (fsync forces the log up to it)
 * @param target symlink target bytes (UTF-8), empty for other types
 */
record Inode(long ino, long generation, FileType type, int perm, int nlink, int uid, int gid, long size,
             long atime, long mtime, long ctime, long lsn, byte[] target) {

    static final byte CODEC_VERSION = 1;
    private static final int FIXED = 1 + 8 + 8 + 1 + 2 + 4 + 4 + 4 + 8 * 5 + 2;

    Attributes attributes() {
        long reportedSize = type == FileType.DIRECTORY ? Attributes.BLOCK_SIZE : size;
        return new Attributes(ino, generation, type, type.modeBits() | perm, nlink, uid, gid, reportedSize, atime, mtime, ctime);
    }

    boolean isDir() {
        return type == FileType.DIRECTORY;
    }

    String targetString() {
        return new String(target, StandardCharsets.UTF_8);
    }

    Inode withSize(long newSize, long now) {
        return new Inode(ino, generation, type, perm, nlink, uid, gid, newSize, atime, now, now, lsn, target);
    }

    Inode withNlink(int newNlink, long now) {
        return new Inode(ino, generation, type, perm, newNlink, uid, gid, size, atime, mtime, now, lsn, target);
    }

    Inode withPerm(int newPerm, long now) {
        return new Inode(ino, generation, type, newPerm & 07777, nlink, uid, gid, size, atime, mtime, now, lsn, target);
    }

    Inode withOwner(int newUid, int newGid, long now) {
        return new Inode(ino, generation, type, perm, nlink, newUid, newGid, size, atime, mtime, now, lsn, target);
    }

    Inode withTimes(long newAtime, long newMtime, long now) {
        return new Inode(ino, generation, type, perm, nlink, uid, gid, size, newAtime, newMtime, now, lsn, target);
    }

    /** Directory contents changed: mtime and ctime move. */
    Inode touched(long now) {
        return new Inode(ino, generation, type, perm, nlink, uid, gid, size, atime, now, now, lsn, target);
    }

    /** Attributes changed (link count, rename): ctime moves. */
    Inode changed(long now) {
        return new Inode(ino, generation, type, perm, nlink, uid, gid, size, atime, mtime, now, lsn, target);
    }

    Inode withLsn(long newLsn) {
        return new Inode(ino, generation, type, perm, nlink, uid, gid, size, atime, mtime, ctime, newLsn, target);
    }

    int encodedSize() {
        return FIXED + target.length;
    }

    void encode(ByteBuffer out) {
        out.put(CODEC_VERSION).putLong(ino).putLong(generation).put((byte) type.ordinal()).putShort((short) perm)
                .putInt(nlink).putInt(uid).putInt(gid).putLong(size).putLong(atime).putLong(mtime).putLong(ctime)
                .putLong(lsn).putShort((short) target.length).put(target);
    }

    byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(encodedSize());
        encode(b);
        return b.array();
    }

    static Inode decode(ByteBuffer in) {
        byte version = in.get();
        if (version != CODEC_VERSION) {
            throw new IllegalStateException("unknown inode encoding version " + version + " (this build reads " + CODEC_VERSION + ")");
        }
        long ino = in.getLong();
        long generation = in.getLong();
        FileType type = FileType.fromCode(in.get());
        int perm = in.getShort() & 0xFFFF;
        int nlink = in.getInt();
        int uid = in.getInt();
        int gid = in.getInt();
        long size = in.getLong();
        long atime = in.getLong();
        long mtime = in.getLong();
        long ctime = in.getLong();
        long lsn = in.getLong();
        byte[] target = new byte[in.getShort() & 0xFFFF];
        in.get(target);
        return new Inode(ino, generation, type, perm, nlink, uid, gid, size, atime, mtime, ctime, lsn, target);
    }

    static Inode fromBytes(byte[] bytes) {
        return decode(ByteBuffer.wrap(bytes));
    }
}
