/**
 * The jnr-fuse adapter (issue 7): translates FUSE calls into fs-core calls and maps errors to errno in one place.
 * Nothing lives here yet; the mount is built on top of fs-core's {@code FileSystem} API.
 */
package org.pacsfs.fuse;
