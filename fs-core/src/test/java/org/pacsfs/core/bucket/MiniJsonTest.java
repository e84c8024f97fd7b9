package org.pacsfs.core.bucket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MiniJsonTest {

    @Test
    @SuppressWarnings("unchecked")
    void parsesEveryKindOfValue() {
        Object v = MiniJson.parse(" {\"a\": [1, -2.5e3, 0, true, false, null, {}, []], \"b\\n\\u00e9\\\"\": \"x\\/y\\\\\"} ");
        assertThat(v).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<Object, Object> m = (Map<Object, Object>) v;
        assertThat(m.keySet()).containsExactly("a", "b\né\"");
        assertThat((List<Object>) m.get("a")).containsExactly(new BigDecimal("1"), new BigDecimal("-2.5e3"),
                new BigDecimal("0"), true, false, MiniJson.NULL, Map.of(), List.of());
        assertThat(m.get("b\né\"")).isEqualTo("x/y\\");
    }

    @Test
    void refusesWhatJsonDoesNotAllow() {
        for (String bad : new String[] {"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "[1,]", "01",
                "1.", ".5", "-", "1e", "+1", "'a'", "\"\\q\"", "\"\\u12\"", "\"a", "\"a\tb\"", "tru", "nul", "{} {}",
                "{\"a\":1 \"b\":2}", "{\"a\":1,\"a\":2}", "[".repeat(40) + "]".repeat(40)}) {
            assertThatThrownBy(() -> MiniJson.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at character");
        }
    }
}
