package org.pacsfs.core.fs.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pacsfs.core.fs.Errno;
import org.pacsfs.core.fs.FileType;
import org.pacsfs.core.fs.OpenFlags;

/**
 * A simple in-memory POSIX tree: what {@link org.pacsfs.core.fs.FileSystem} must do, written as plainly as possible.
 * Paths are resolved without following symlinks (a symlink in the middle of a path is ENOTDIR), as fs-core does.
 * Failures throw {@link ModelError} carrying the errno. File contents are immutable arrays replaced on change, so
 * {@link #copy()} is cheap.
 */
public final class ReferenceModel {

    /** A failed operation: the errno the filesystem must report. */
    public static final class ModelError extends Exception {
        public final Errno errno;

        ModelError(Errno errno, String msg) {
            super(errno + ": " + msg, null, false, false);
            this.errno = errno;
        }
    }

    public static final class Node {
        final FileType type;
        int perm;
        int nlink;
        byte[] data = new byte[0];
        String target = "";
        final TreeMap<String, Node> children;
        TreeMap<String, byte[]> xattrs = new TreeMap<>();
        int openCount;
        /** Index of the last operation that changed this inode's own logged state (for fsync bounds). */
        int lastTouched = -1;

        Node(FileType type, int perm, int nlink) {
            this.type = type;
            this.perm = perm;
            this.nlink = nlink;
            this.children = type == FileType.DIRECTORY ? new TreeMap<>() : null;
        }

        public FileType type() {
            return type;
        }

        public int lastTouched() {
            return lastTouched;
        }

        public byte[] data() {
            return data;
        }

        public int nlinkForTest() {
            return nlink;
        }
    }

    /** An open file handle of the model. */
    public static final class Handle {
        public final Node node;
        final int flags;
        boolean released;

        Handle(Node node, int flags) {
            this.node = node;
            this.flags = flags;
        }

        public boolean readable() {
            return OpenFlags.readable(flags);
        }
    }

    private final Node root;
    private final List<Handle> open = new ArrayList<>();
    /** Regular files with no name that are still open. */
    private final List<Node> orphans = new ArrayList<>();
    private int opIndex;

    public ReferenceModel(int rootPerm) {
        root = new Node(FileType.DIRECTORY, rootPerm, 2);
    }

    private ReferenceModel(Node root) {
        this.root = root;
    }

    /** The index recorded as "last touched" by the operations that follow. */
    public void setOpIndex(int i) {
        opIndex = i;
    }

    private void touch(Node n) {
        n.lastTouched = opIndex;
    }

    // ------------------------------------------------------------------ resolution

    private static List<String> names(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    public Node resolve(String path) throws ModelError {
        Node cur = root;
        for (String n : names(path)) {
            if (cur.type != FileType.DIRECTORY) {
                throw new ModelError(Errno.ENOTDIR, path);
            }
            cur = cur.children.get(n);
            if (cur == null) {
                throw new ModelError(Errno.ENOENT, path);
            }
        }
        return cur;
    }

    private static String parentPath(String path) {
        List<String> n = names(path);
        return "/" + String.join("/", n.subList(0, n.size() - 1));
    }

    private static String lastName(String path) {
        List<String> n = names(path);
        return n.get(n.size() - 1);
    }

    private Node parentDir(String path) throws ModelError {
        if (names(path).isEmpty()) {
            throw new ModelError(Errno.EINVAL, "root has no parent");
        }
        Node p = resolve(parentPath(path));
        if (p.type != FileType.DIRECTORY) {
            throw new ModelError(Errno.ENOTDIR, path);
        }
        return p;
    }

    // ------------------------------------------------------------------ operations

    public void mkdir(String path, int mode) throws ModelError {
        Node parent = parentDir(path);
        String name = lastName(path);
        if (parent.children.containsKey(name)) {
            throw new ModelError(Errno.EEXIST, path);
        }
        Node d = new Node(FileType.DIRECTORY, (mode & 07777) | (parent.perm & 02000), 2);
        parent.children.put(name, d);
        parent.nlink++;
        touch(d);
        touch(parent);
    }

    public void rmdir(String path) throws ModelError {
        Node parent = parentDir(path);
        String name = lastName(path);
        Node d = parent.children.get(name);
        if (d == null) {
            throw new ModelError(Errno.ENOENT, path);
        }
        if (d.type != FileType.DIRECTORY) {
            throw new ModelError(Errno.ENOTDIR, path);
        }
        if (!d.children.isEmpty()) {
            throw new ModelError(Errno.ENOTEMPTY, path);
        }
        parent.children.remove(name);
        parent.nlink--;
        touch(parent);
    }

    public Handle create(String path, int mode, int flags) throws ModelError {
        Node parent = parentDir(path);
        String name = lastName(path);
        Node existing = parent.children.get(name);
        if (existing != null) {
            if ((flags & OpenFlags.O_EXCL) != 0) {
                throw new ModelError(Errno.EEXIST, path);
            }
            if (existing.type == FileType.DIRECTORY) {
                throw new ModelError(Errno.EISDIR, path + " (O_CREAT on a directory)");
            }
            return open(path, flags);
        }
        Node f = new Node(FileType.REGULAR, mode & 07777, 1);
        parent.children.put(name, f);
        touch(f);
        touch(parent);
        return newHandle(f, flags);
    }

    public Handle open(String path, int flags) throws ModelError {
        Node n = resolve(path);
        if (n.type == FileType.SYMLINK) {
            throw new ModelError(Errno.ELOOP, path);
        }
        if (n.type == FileType.DIRECTORY && OpenFlags.writable(flags)) {
            throw new ModelError(Errno.EISDIR, path);
        }
        if ((flags & OpenFlags.O_TRUNC) != 0 && OpenFlags.writable(flags) && n.type == FileType.REGULAR) {
            n.data = new byte[0];
            touch(n);
        }
        return newHandle(n, flags);
    }

    private Handle newHandle(Node n, int flags) {
        Handle h = new Handle(n, flags);
        n.openCount++;
        open.add(h);
        return h;
    }

    public byte[] read(Handle h, long offset, int len) throws ModelError {
        live(h);
        if (!OpenFlags.readable(h.flags)) {
            throw new ModelError(Errno.EBADF, "not readable");
        }
        if (h.node.type == FileType.DIRECTORY) {
            throw new ModelError(Errno.EISDIR, "directory handle");
        }
        byte[] d = h.node.data;
        if (offset >= d.length) {
            return new byte[0];
        }
        int n = (int) Math.min(len, d.length - offset);
        return Arrays.copyOfRange(d, (int) offset, (int) offset + n);
    }

    public void write(Handle h, long offset, byte[] src) throws ModelError {
        live(h);
        if (!OpenFlags.writable(h.flags)) {
            throw new ModelError(Errno.EBADF, "not writable");
        }
        Node n = h.node;
        long at = (h.flags & OpenFlags.O_APPEND) != 0 ? n.data.length : offset;
        int newLen = (int) Math.max(n.data.length, at + src.length);
        byte[] d = Arrays.copyOf(n.data, newLen);
        System.arraycopy(src, 0, d, (int) at, src.length);
        n.data = d;
        if (src.length > 0) {
            touch(n);
        }
    }

    public void ftruncate(Handle h, long size) throws ModelError {
        live(h);
        if (!OpenFlags.writable(h.flags)) {
            throw new ModelError(Errno.EBADF, "not writable");
        }
        truncateNode(h.node, size);
    }

    public void truncate(String path, long size) throws ModelError {
        truncateNode(resolve(path), size);
    }

    private void truncateNode(Node n, long size) throws ModelError {
        if (size < 0) {
            throw new ModelError(Errno.EINVAL, "negative size");
        }
        if (n.type == FileType.DIRECTORY) {
            throw new ModelError(Errno.EISDIR, "directory");
        }
        if (n.type != FileType.REGULAR) {
            throw new ModelError(Errno.EINVAL, "not a regular file");
        }
        n.data = Arrays.copyOf(n.data, (int) size);
        touch(n);
    }

    public void release(Handle h) throws ModelError {
        live(h);
        h.released = true;
        open.remove(h);
        h.node.openCount--;
        if (h.node.openCount == 0 && h.node.nlink == 0) {
            orphans.remove(h.node);
        }
    }

    private static void live(Handle h) throws ModelError {
        if (h.released) {
            throw new ModelError(Errno.EBADF, "released");
        }
    }

    public void unlink(String path) throws ModelError {
        Node parent = parentDir(path);
        String name = lastName(path);
        Node n = parent.children.get(name);
        if (n == null) {
            throw new ModelError(Errno.ENOENT, path);
        }
        if (n.type == FileType.DIRECTORY) {
            throw new ModelError(Errno.EISDIR, path);
        }
        parent.children.remove(name);
        dropLink(n);
        touch(parent);
    }

    private void dropLink(Node n) {
        n.nlink--;
        touch(n);
        if (n.nlink == 0 && n.openCount > 0) {
            orphans.add(n);
        }
    }

    public void rename(String from, String to, boolean noReplace) throws ModelError {
        List<String> src = names(from);
        List<String> dst = names(to);
        if (src.isEmpty() || dst.isEmpty()) {
            throw new ModelError(Errno.EINVAL, "root");
        }
        Node moving = resolve(from);
        if (moving.type == FileType.DIRECTORY && dst.size() > src.size() && dst.subList(0, src.size()).equals(src)) {
            throw new ModelError(Errno.EINVAL, "into itself");
        }
        Node srcParent = parentDir(from);
        Node dstParent = parentDir(to);
        String dstName = lastName(to);
        Node replaced = dstParent.children.get(dstName);
        if (replaced == moving) {
            if (noReplace && !src.equals(dst)) {
                throw new ModelError(Errno.EEXIST, to);
            }
            return;
        }
        if (replaced != null) {
            if (noReplace) {
                throw new ModelError(Errno.EEXIST, to);
            }
            if (moving.type == FileType.DIRECTORY && replaced.type != FileType.DIRECTORY) {
                throw new ModelError(Errno.ENOTDIR, to);
            }
            if (moving.type != FileType.DIRECTORY && replaced.type == FileType.DIRECTORY) {
                throw new ModelError(Errno.EISDIR, to);
            }
            if (replaced.type == FileType.DIRECTORY && !replaced.children.isEmpty()) {
                throw new ModelError(Errno.ENOTEMPTY, to);
            }
        }
        srcParent.children.remove(lastName(from));
        dstParent.children.put(dstName, moving);
        if (replaced != null) {
            if (replaced.type == FileType.DIRECTORY) {
                dstParent.nlink--;
            } else {
                dropLink(replaced);
            }
        }
        if (moving.type == FileType.DIRECTORY && srcParent != dstParent) {
            srcParent.nlink--;
            dstParent.nlink++;
        }
        touch(srcParent);
        touch(dstParent);
        touch(moving);
    }

    public void link(String existing, String newPath) throws ModelError {
        Node n = resolve(existing);
        if (n.type == FileType.DIRECTORY) {
            throw new ModelError(Errno.EPERM, existing);
        }
        Node parent = parentDir(newPath);
        String name = lastName(newPath);
        if (parent.children.containsKey(name)) {
            throw new ModelError(Errno.EEXIST, newPath);
        }
        parent.children.put(name, n);
        n.nlink++;
        touch(n);
        touch(parent);
    }

    public void symlink(String target, String path) throws ModelError {
        Node parent = parentDir(path);
        String name = lastName(path);
        if (parent.children.containsKey(name)) {
            throw new ModelError(Errno.EEXIST, path);
        }
        Node s = new Node(FileType.SYMLINK, 0777, 1);
        s.target = target;
        parent.children.put(name, s);
        touch(s);
        touch(parent);
    }

    public String readlink(String path) throws ModelError {
        Node n = resolve(path);
        if (n.type != FileType.SYMLINK) {
            throw new ModelError(Errno.EINVAL, path);
        }
        return n.target;
    }

    public void chmod(String path, int mode) throws ModelError {
        Node n = resolve(path);
        n.perm = mode & 07777;
        touch(n);
    }

    public void setxattr(String path, String name, byte[] value, int flags) throws ModelError {
        Node n = resolve(path);
        boolean present = n.xattrs.containsKey(name);
        if ((flags & OpenFlags.XATTR_CREATE) != 0 && present) {
            throw new ModelError(Errno.EEXIST, name);
        }
        if ((flags & OpenFlags.XATTR_REPLACE) != 0 && !present) {
            throw new ModelError(Errno.ENODATA, name);
        }
        n.xattrs.put(name, value.clone());
        touch(n);
    }

    public byte[] getxattr(String path, String name) throws ModelError {
        Node n = resolve(path);
        byte[] v = n.xattrs.get(name);
        if (v == null) {
            throw new ModelError(Errno.ENODATA, name);
        }
        return v.clone();
    }

    public void removexattr(String path, String name) throws ModelError {
        Node n = resolve(path);
        if (n.xattrs.remove(name) == null) {
            throw new ModelError(Errno.ENODATA, name);
        }
        touch(n);
    }

    /** After a crash: every handle is gone, and with them the files that had no name. */
    public void dropAllHandles() {
        for (Handle h : open) {
            h.released = true;
            h.node.openCount = 0;
        }
        open.clear();
        orphans.clear();
    }

    /** A deep copy of the tree (hard links stay shared), without handles. */
    public ReferenceModel copy() {
        Map<Node, Node> seen = new IdentityHashMap<>();
        return new ReferenceModel(copy(root, seen));
    }

    private static Node copy(Node n, Map<Node, Node> seen) {
        Node c = seen.get(n);
        if (c != null) {
            return c;
        }
        c = new Node(n.type, n.perm, n.nlink);
        seen.put(n, c);
        c.data = n.data;
        c.target = n.target;
        c.xattrs = new TreeMap<>(n.xattrs);
        c.lastTouched = n.lastTouched;
        if (n.children != null) {
            for (Map.Entry<String, Node> e : n.children.entrySet()) {
                c.children.put(e.getKey(), copy(e.getValue(), seen));
            }
        }
        return c;
    }

    // ------------------------------------------------------------------ canonical state

    /**
     * The whole tree in canonical form. {@code withOpenOrphans}: count inodes and bytes of unnamed open files too
     * (false after a crash, when they are gone).
     */
    public TreeState state(boolean withOpenOrphans) {
        TreeMap<String, Node> byPath = new TreeMap<>();
        collect(root, "/", byPath);
        Map<Node, String> firstPath = new IdentityHashMap<>();
        byPath.forEach((path, n) -> firstPath.putIfAbsent(n, path));
        TreeMap<String, TreeState.Entry> entries = new TreeMap<>();
        byPath.forEach((path, n) -> entries.put(path, entryOf(n, firstPath.get(n))));
        long inodes = firstPath.size();
        long bytes = 0;
        for (Node n : firstPath.keySet()) {
            if (n.type == FileType.REGULAR) {
                bytes += n.data.length;
            }
        }
        if (withOpenOrphans) {
            Map<Node, Boolean> o = new IdentityHashMap<>();
            for (Node n : orphans) {
                o.put(n, true);
            }
            for (Node n : o.keySet()) {
                inodes++;
                bytes += n.data.length;
            }
        }
        return new TreeState(entries, inodes, bytes);
    }

    private static void collect(Node n, String path, Map<String, Node> out) {
        out.put(path, n);
        if (n.children != null) {
            for (Map.Entry<String, Node> e : n.children.entrySet()) {
                collect(e.getValue(), path.equals("/") ? "/" + e.getKey() : path + "/" + e.getKey(), out);
            }
        }
    }

    private static TreeState.Entry entryOf(Node n, String path) {
        long size = switch (n.type) {
            case DIRECTORY -> 4096;
            case SYMLINK -> n.target.getBytes(StandardCharsets.UTF_8).length;
            case REGULAR -> n.data.length;
        };
        String content = n.type == FileType.REGULAR ? digest(n.data) : n.type == FileType.SYMLINK ? n.target : "";
        TreeMap<String, String> x = new TreeMap<>();
        n.xattrs.forEach((k, v) -> x.put(k, HexFormat.of().formatHex(v)));
        return new TreeState.Entry(n.type, n.perm, n.nlink, size, content, x, path);
    }

    public static String digest(byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return data.length + ":" + HexFormat.of().formatHex(md.digest(data), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
