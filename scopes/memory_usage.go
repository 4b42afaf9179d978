package scopes

// Usage is what a part of scopestore holds in this process's memory.
type Usage struct {
	Scopes int64
	Bytes  int64
}

// MemoryHolder is a Store that keeps its records in this process's memory
// (the memory storage) and knows what it holds, so that the engine can
// enforce an app's maxScopes and maxMemory and the instance's memory budget
// without walking it. Records that expired and are not yet deleted count:
// they take memory until a cleaner pass.
type MemoryHolder interface {
	// Held returns what the store holds of app's scopes of kind k.
	Held(app string, k Kind) Usage
	// HeldTotal returns what the store holds in all.
	HeldTotal() Usage
}

// recordOverhead approximates the memory a held record takes besides its
// data: the map entry, the record's fields and strings, the shard's
// bookkeeping. Measured: 100,000 sessions of 1 KiB of data took about
// 175 MB of heap in the memory storage.
const recordOverhead = 700

// HeldBytes approximates the memory that holding rec takes, as the memory
// storage and the engine's copies account it.
func HeldBytes(rec Record) int64 {
	return int64(len(rec.Data)+len(rec.App)+len(rec.CFID)+len(rec.CFToken)+len(rec.Rev)+len(rec.RotatedTo)) + recordOverhead
}
