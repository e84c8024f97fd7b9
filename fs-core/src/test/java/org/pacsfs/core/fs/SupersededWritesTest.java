package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which writes of a batch later writes of the same batch overwrite completely (they are not uploaded). */
class SupersededWritesTest {
    static Flusher.Placement w(int op, long offset, int length) {
        return new Flusher.Placement(7, offset, length, op, 0, ByteBuffer.allocate(0), op);
    }

    @Test
    void onlyWritesCoveredEntirelyByLaterOnesAreSuperseded() {
        List<Flusher.Placement> pieces = List.of(
                w(0, 0, 4096), w(1, 4096, 4096), w(2, 100, 10), // covered by the compaction-like write 4
                w(3, 10_000, 100),                                // extends past it: kept
                w(4, 0, 9000),
                w(5, 8000, 500), w(6, 8500, 500), w(7, 8200, 700)); // later writes never cover 5 or 6 entirely; 7 is last
        assertThat(Flusher.superseded(pieces)).extracting(Flusher.Placement::opIndex).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void coverageCanComeFromSeveralLaterWrites() {
        List<Flusher.Placement> pieces = List.of(w(0, 100, 200), w(1, 0, 150), w(2, 150, 200), w(3, 50, 1));
        assertThat(Flusher.superseded(pieces)).extracting(Flusher.Placement::opIndex).containsExactly(0);
    }
}
