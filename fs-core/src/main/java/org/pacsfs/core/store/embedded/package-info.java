/**
 * A real S3 server as a child process: {@link org.pacsfs.core.store.embedded.S3ProxyProcess}. Used
 * by the tests of every module and, later, by the CLI's embedded-S3 mode. No test framework here.
 */
package org.pacsfs.core.store.embedded;
