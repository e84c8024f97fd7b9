package org.pacsfs.core.store;

/** A fault-injecting store with every fault off must be indistinguishable from its delegate. */
class FaultInjectingObjectStoreContractTest extends ObjectStoreContract {

    private final ObjectStore store = FaultInjectingObjectStore.builder(new InMemoryObjectStore()).seed(3).build();

    @Override
    protected ObjectStore store() {
        return store;
    }
}
