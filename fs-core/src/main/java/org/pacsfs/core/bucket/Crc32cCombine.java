package org.pacsfs.core.bucket;

/**
 * The CRC32C of a concatenation from the CRC32Cs of its parts: {@code combine(crc(A), crc(B), |B|) == crc(A + B)}, in
 * time logarithmic in {@code |B|} and without reading any byte again. The same algorithm as zlib's {@code
 * crc32_combine} (multiplication by x^(8|B|) modulo the polynomial), for the Castagnoli polynomial that {@link
 * java.util.zip.CRC32C} uses, with its pre- and post-conditioning.
 *
 * <p>Why: an uncompressed chunk object is a 40-byte header followed by the data, and the metadata log records the
 * CRC32C of the whole object while the header records the CRC32C of the data. Checking both used to read every byte of
 * a chunk twice on every GET and disk-tier read; with this, the data is read once and the object's CRC32C is derived.
 */
final class Crc32cCombine {

    /** The CRC32C polynomial 0x1EDC6F41, bit-reversed (java.util.zip.CRC32C processes bits LSB first). */
    private static final int POLY = 0x82F63B78;

    /** X2N[k] = x^(2^k) modulo POLY, in the reflected representation. */
    private static final int[] X2N = new int[32];

    static {
        int p = 1 << 30; // x^1
        X2N[0] = p;
        for (int k = 1; k < 32; k++) {
            X2N[k] = p = multModP(p, p);
        }
    }

    private Crc32cCombine() {}

    /** The CRC32C of A followed by B, given {@code crcA} = CRC32C(A), {@code crcB} = CRC32C(B) and B's length. */
    static int combine(int crcA, int crcB, long lengthB) {
        if (lengthB < 0) {
            throw new IllegalArgumentException("length must be >= 0, got " + lengthB);
        }
        return multModP(xToThe8nModP(lengthB), crcA) ^ crcB;
    }

    /** a(x) * b(x) modulo POLY (reflected: bit 31 is the coefficient of x^0). */
    private static int multModP(int a, int b) {
        int m = 1 << 31;
        int p = 0;
        while (true) {
            if ((a & m) != 0) {
                p ^= b;
                if ((a & (m - 1)) == 0) {
                    return p;
                }
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
    }

    /** x^(8n) modulo POLY: the shift that appending n bytes applies to the CRC register. */
    private static int xToThe8nModP(long n) {
        int p = 1 << 31; // x^0
        int k = 3; // 8n = n * 2^3
        while (n != 0) {
            if ((n & 1) != 0) {
                p = multModP(X2N[k & 31], p);
            }
            n >>>= 1;
            k++;
        }
        return p;
    }
}
