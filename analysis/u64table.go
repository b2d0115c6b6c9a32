package analysis

// u64Table maps 64-bit keys (hashes; 0 is not a key) to int32 values by open
// addressing, and resets in time proportional to what was put in, not to
// its capacity: the per-worker, per-article scratch maps of keyphrase
// extraction, where Go's maps cost a string hash or a full clear each time.
type u64Table struct {
	keys []uint64
	vals []int32
	used []int32 // slots in use, for reset
	mask uint64
}

func newU64Table(capacity int) *u64Table {
	n := 16
	for n < 2*capacity {
		n *= 2
	}
	return &u64Table{keys: make([]uint64, n), vals: make([]int32, n), mask: uint64(n - 1)}
}

// slot returns where key is or would go.
func (t *u64Table) slot(key uint64) uint64 {
	i := (key * 0x9e3779b97f4a7c15) >> 7 & t.mask
	for t.keys[i] != 0 && t.keys[i] != key {
		i = (i + 1) & t.mask
	}
	return i
}

// get returns key's value and whether it is there.
func (t *u64Table) get(key uint64) (int32, bool) {
	i := t.slot(key)
	return t.vals[i], t.keys[i] == key
}

// put sets key's value.
func (t *u64Table) put(key uint64, v int32) {
	if 2*(len(t.used)+1) > len(t.keys) {
		t.grow()
	}
	i := t.slot(key)
	if t.keys[i] == 0 {
		t.keys[i] = key
		t.used = append(t.used, int32(i))
	}
	t.vals[i] = v
}

func (t *u64Table) grow() {
	old := *t
	n := 2 * len(t.keys)
	t.keys, t.vals, t.used, t.mask = make([]uint64, n), make([]int32, n), t.used[:0:0], uint64(n-1)
	for _, i := range old.used {
		t.put(old.keys[i], old.vals[i])
	}
}

// reset empties the table.
func (t *u64Table) reset() {
	for _, i := range t.used {
		t.keys[i] = 0
	}
	t.used = t.used[:0]
}
