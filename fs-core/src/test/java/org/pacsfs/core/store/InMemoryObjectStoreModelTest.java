package org.pacsfs.core.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link InMemoryObjectStore} against a reference model (a sorted map of key to content) after every
 * operation of random sequences. Every other test's double rests on this store, so it gets its own
 * proof.
 */
class InMemoryObjectStoreModelTest {

    private static final List<String> KEYS = List.of("a", "a/1", "a/2", "ab", "b/x", "\u00e9", "z");

    @Property(tries = 200)
    void behavesLikeASortedMapWithCompareAndSet(@ForAll("operations") List<Op> ops) {
        var store = new InMemoryObjectStore();
        var model = new TreeMap<String, String>(ObjectKeys.S3_ORDER);
        var etags = new java.util.HashMap<String, String>();
        for (Op op : ops) {
            op.apply(store, model, etags);
            assertSameContent(store, model);
        }
    }

    private static void assertSameContent(InMemoryObjectStore store, TreeMap<String, String> model) {
        var listed = new ArrayList<String>();
        String token = null;
        do {
            ListPage page = store.list("", token, 2);
            page.objects().forEach(o -> listed.add(o.key()));
            token = page.nextContinuationToken();
        } while (token != null);
        assertThat(listed).containsExactlyElementsOf(model.keySet());
        for (Map.Entry<String, String> e : model.entrySet()) {
            assertThat(new String(store.get(e.getKey()).bytes(), UTF_8)).isEqualTo(e.getValue());
        }
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<String> keys = Arbitraries.of(KEYS);
        Arbitrary<String> values = Arbitraries.strings().alpha().ofMaxLength(5);
        Arbitrary<Op> put = Combinators.combine(keys, values, Arbitraries.of(Cond.values())).as(Put::new);
        Arbitrary<Op> delete = keys.map(Delete::new);
        Arbitrary<Op> deleteAll = keys.list().ofMaxSize(3).map(DeleteAll::new);
        return Arbitraries.oneOf(put, put, put, delete, deleteAll).list().ofMaxSize(30);
    }

    enum Cond { NONE, IF_NONE_MATCH, IF_MATCH_LAST_SEEN, IF_MATCH_BOGUS }

    interface Op {
        void apply(InMemoryObjectStore store, TreeMap<String, String> model, Map<String, String> etags);
    }

    record Put(String key, String value, Cond cond) implements Op {
        @Override
        public void apply(InMemoryObjectStore store, TreeMap<String, String> model, Map<String, String> etags) {
            PutCondition condition = switch (cond) {
                case NONE -> PutCondition.none();
                case IF_NONE_MATCH -> PutCondition.ifNoneMatch();
                case IF_MATCH_LAST_SEEN -> PutCondition.ifMatch(etags.getOrDefault(key, "\"never-seen\""));
                case IF_MATCH_BOGUS -> PutCondition.ifMatch("\"bogus\"");
            };
            boolean shouldWin = switch (cond) {
                case NONE -> true;
                case IF_NONE_MATCH -> !model.containsKey(key);
                // The last ETag we saw for the key is current iff the model still holds that put's content.
                case IF_MATCH_LAST_SEEN -> model.containsKey(key) && etags.containsKey(key);
                case IF_MATCH_BOGUS -> false;
            };
            try {
                etags.put(key, store.put(key, value.getBytes(UTF_8), condition));
                assertThat(shouldWin).as("%s should have lost", this).isTrue();
                model.put(key, value);
            } catch (ObjectStoreException.PreconditionFailed e) {
                assertThat(shouldWin).as("%s should have won", this).isFalse();
            }
        }
    }

    record Delete(String key) implements Op {
        @Override
        public void apply(InMemoryObjectStore store, TreeMap<String, String> model, Map<String, String> etags) {
            store.delete(key);
            model.remove(key);
            etags.remove(key);
        }
    }

    record DeleteAll(List<String> keys) implements Op {
        @Override
        public void apply(InMemoryObjectStore store, TreeMap<String, String> model, Map<String, String> etags) {
            assertThat(store.deleteAll(keys).deleted()).containsExactlyInAnyOrderElementsOf(new java.util.LinkedHashSet<>(keys));
            keys.forEach(model::remove);
            keys.forEach(etags::remove);
        }
    }
}
