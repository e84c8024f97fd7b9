package org.pacsfs.core.fs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An absolute path as FUSE passes it ("/", "/a/b"), split into components and checked: every name at most
 * {@link #MAX_NAME} bytes of UTF-8, no "." or ".." components (the kernel resolves those), no NUL.
 */
record FsPath(String text, List<String> names) {
    static final int MAX_NAME = 255;
    static final int MAX_PATH = 4096;

    static FsPath parse(String path) throws FsException {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            throw FsException.invalid(Errno.EINVAL, "path must be absolute (start with '/'), was " + (path == null ? "null" : "'" + path + "'"));
        }
        if (path.length() > MAX_PATH) {
            throw FsException.invalid(Errno.ENAMETOOLONG, "path longer than " + MAX_PATH + " characters");
        }
        List<String> names = new ArrayList<>();
        int i = 1;
        while (i <= path.length()) {
            int j = path.indexOf('/', i);
            if (j < 0) {
                j = path.length();
            }
            if (j > i) {
                names.add(checkName(path.substring(i, j)));
            }
            i = j + 1;
        }
        return new FsPath(canonical(names), List.copyOf(names));
    }

    static String checkName(String name) throws FsException {
        if (name.equals(".") || name.equals("..")) {
            throw FsException.invalid(Errno.EINVAL, "'" + name + "' cannot be created or removed by name");
        }
        if (name.indexOf('\0') >= 0 || name.indexOf('/') >= 0) {
            throw FsException.invalid(Errno.EINVAL, "a name cannot contain NUL or '/'");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
            throw FsException.invalid(Errno.ENAMETOOLONG, "name '" + name.substring(0, 32) + "...' is longer than " + MAX_NAME + " bytes of UTF-8");
        }
        return name;
    }

    boolean isRoot() {
        return names.isEmpty();
    }

    String name() {
        return names.get(names.size() - 1);
    }

    FsPath parent() {
        List<String> p = names.subList(0, names.size() - 1);
        return new FsPath(canonical(p), p);
    }

    /** True if this path is {@code other} or lies below it. */
    boolean within(FsPath other) {
        return names.size() >= other.names.size() && names.subList(0, other.names.size()).equals(other.names);
    }

    private static String canonical(List<String> names) {
        return names.isEmpty() ? "/" : "/" + String.join("/", names);
    }
}
