package org.pacsfs.core.store;

/** The contract against {@link InMemoryObjectStore}. */
class InMemoryObjectStoreContractTest extends ObjectStoreContract {

    private final InMemoryObjectStore store = new InMemoryObjectStore();

    @Override
    protected ObjectStore store() {
        return store;
    }
}
