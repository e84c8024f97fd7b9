/**
 * The chunk cache (issue 6): a Caffeine memory tier weighed in bytes, a bounded disk tier of checksummed block
 * files, and a tiered lookup with single-flight loading. Nothing of pacsfs depends on this package yet.
 */
package org.pacsfs.cache;
