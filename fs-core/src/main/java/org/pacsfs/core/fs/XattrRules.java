package org.pacsfs.core.fs;

import java.nio.charset.StandardCharsets;

/**
 * Which extended attribute names are accepted: the "user.", "trusted." and "security." namespaces, names of 1..255
 * bytes. "system." names (POSIX ACLs and the like) would promise semantics pacsfs does not implement, so they are
 * ENOTSUP, as on a filesystem mounted without ACL support.
 */
final class XattrRules {
    private XattrRules() {
    }

    static void checkName(String name) throws FsException {
        int len = name.getBytes(StandardCharsets.UTF_8).length;
        if (len == 0 || len > Xattrs.MAX_NAME) {
            throw FsException.invalid(Errno.ERANGE, "extended attribute names must be 1.." + Xattrs.MAX_NAME + " bytes, was " + len);
        }
        if (!(name.startsWith("user.") || name.startsWith("trusted.") || name.startsWith("security."))) {
            throw FsException.invalid(Errno.ENOTSUP, "extended attribute " + name
                    + " is not in a supported namespace (user., trusted., security.)");
        }
    }
}
