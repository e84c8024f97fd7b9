/** The local write-ahead log (issue 3). */
package org.pacsfs.wal;
