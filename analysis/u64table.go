package analysis

// u64Table maps 64-bit keys (hashes; 0 is not a key) to int32 values by open
// addressing, and resets in time proportional to what was put in, not to
// its capacity: the per-worker, per-article scratch maps of keyphrase
// extraction, where Go's maps cost a string hash or a full clear each time.
type u64Table struct {
	slots []u64Slot // key and value side by side: one cache line per probe
	used  []int32   // slots in use, for reset
	mask  uint64
}

type u64Slot struct {
	key uint64
	val int32
}

func newU64Table(capacity int) *u64Table {
	n := 16
	for n < 2*capacity {
		n *= 2
	}
	return &u64Table{slots: fresh(n), mask: uint64(n - 1)}
}

// fresh returns n zero slots, written once. Memory new from the operating
// system is mapped on first touch; a table's first touch is a probe (a
// read), which maps a shared zero page that the first put must then copy,
// flushing the other cores' TLBs. Writing first costs one fault per page
// and no flush: on a 10-article request these faults were a tenth of the
// analyzer's time.
func fresh(n int) []u64Slot {
	s := make([]u64Slot, n)
	clear(s)
	return s
}

// slot returns where key is or would go.
func (t *u64Table) slot(key uint64) uint64 {
	i := (key * 0x9e3779b97f4a7c15) >> 7 & t.mask
	for t.slots[i].key != 0 && t.slots[i].key != key {
		i = (i + 1) & t.mask
	}
	return i
}

// get returns key's value and whether it is there.
func (t *u64Table) get(key uint64) (int32, bool) {
	s := &t.slots[t.slot(key)]
	return s.val, s.key == key
}

// put sets key's value.
func (t *u64Table) put(key uint64, v int32) {
	if 2*(len(t.used)+1) > len(t.slots) {
		t.grow()
	}
	i := t.slot(key)
	if t.slots[i].key == 0 {
		t.slots[i].key = key
		t.used = append(t.used, int32(i))
	}
	t.slots[i].val = v
}

func (t *u64Table) grow() {
	old := *t
	n := 2 * len(t.slots)
	t.slots, t.used, t.mask = fresh(n), t.used[:0:0], uint64(n-1)
	for _, i := range old.used {
		t.put(old.slots[i].key, old.slots[i].val)
	}
}

// reset empties the table.
func (t *u64Table) reset() {
	for _, i := range t.used {
		t.slots[i].key = 0
	}
	t.used = t.used[:0]
}
