// Package background holds statistics of public English text, compiled at
// build time by internal/bggen and embedded: how many documents of that text
// hold each stem (so that a request of one or a few articles still knows that
// "system" is common and "attention" is not), and how often a part-of-speech
// tagger tagged each word as a noun, a verb, an adjective, … (so that
// keyphrase candidates can be held to noun phrases without running the tagger
// on every request).
//
// The source text is WordNet 3.0's glosses and examples (Princeton
// University, WordNet 3.0 licence: use, copy and distribute with the notice)
// and the comments of the Go distribution's source tree (BSD-3-Clause); the
// tagger is github.com/jdkato/prose/v3/tag (MIT). See docs/quality.md.
//
// Nothing is decoded at start-up: lookups binary-search the embedded bytes,
// keyed by a 32-bit FNV-1a hash of the word (a collision among the stored
// words is possible and harmless: the statistics are a prior).
package background

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"sync"
)

//go:generate go run ../../internal/bggen -o english.bin

//go:embed english.bin
var raw []byte

// Format (little-endian): "RBG1", documents, number of stems S, number of
// words W (uint32 each); S sorted uint32 stem hashes, S uint16 document
// frequencies; W sorted uint32 word hashes, W uint32 packed classes.
const magic = "RBG1"

// Class is one of the tag classes a word's share is counted in.
type Class uint8

// The tag classes, from Penn Treebank tags.
const (
	Noun       Class = iota // NN NNS NNP NNPS
	Adjective               // JJ JJR JJS
	Verb                    // VB VBP VBZ VBD: a finite verb or a base form
	Participle              // VBN
	Gerund                  // VBG
	Adverb                  // RB RBR RBS RP WRB
	Number                  // CD
	Other                   // pronouns, determiners, prepositions, …
	NumClasses
)

// Shares is how often a word was tagged with each class, in sixteenths
// (rounded; they add up to about 16).
type Shares [NumClasses]uint8

// Get returns the share of class c, in sixteenths.
func (s Shares) Get(c Class) int { return int(s[c]) }

// Dominant returns the class with the largest share (the first on ties).
func (s Shares) Dominant() Class {
	best := Class(0)
	for c := range NumClasses {
		if s[c] > s[best] {
			best = c
		}
	}
	return best
}

// Table is a background table: document frequencies of stems and tag shares
// of words. The zero Table finds nothing.
type Table struct {
	docs        int
	stems, freq []byte
	words, cls  []byte
	ns, nw      int
	// stemAt and wordAt index the sorted keys by their top bits, built on
	// first use, so a lookup binary-searches a few entries, not all.
	stemAt, wordAt *prefixIndex
}

// prefixIndex holds, for each value of a key's top prefixBits bits, the
// index of the first key with that prefix or a larger one.
type prefixIndex struct {
	once  sync.Once
	start [1<<prefixBits + 1]int32
}

const prefixBits = 12

func (p *prefixIndex) build(keys []byte, n int) {
	p.once.Do(func() {
		k := 0
		for b := range 1 << prefixBits {
			for k < n && binary.LittleEndian.Uint32(keys[4*k:])>>(32-prefixBits) < uint32(b) {
				k++
			}
			p.start[b] = int32(k)
		}
		p.start[1<<prefixBits] = int32(n)
	})
}

// find returns the index of key among the n sorted keys, or -1.
func (p *prefixIndex) find(keys []byte, n int, key uint32) int {
	if p == nil {
		return search(keys, 0, n, key)
	}
	p.build(keys, n)
	b := key >> (32 - prefixBits)
	return search(keys, int(p.start[b]), int(p.start[b+1]), key)
}

var tab, _ = Load(raw)

// Embedded returns the table built into the binary.
func Embedded() Table { return tab }

// Warm builds t's lookup indexes, which are otherwise built on first use. A
// process started ahead of its input (the analyzer waiting on its stdin)
// calls it meanwhile; calling it is never necessary.
func (t Table) Warm() {
	if t.stemAt != nil {
		t.stemAt.build(t.stems, t.ns)
	}
	if t.wordAt != nil {
		t.wordAt.build(t.words, t.nw)
	}
}

// Load reads a table in the format internal/bggen writes, without copying
// b (which must not change afterwards).
func Load(b []byte) (Table, error) {
	if len(b) < 16 || string(b[:4]) != magic {
		return Table{}, errors.New("background: not a table (bad magic)")
	}
	le := binary.LittleEndian
	docs, ns, nw := int(le.Uint32(b[4:])), int(le.Uint32(b[8:])), int(le.Uint32(b[12:]))
	if ns > len(b) || nw > len(b) || 16+ns*6+nw*8 != len(b) {
		return Table{}, errors.New("background: table size does not match its header")
	}
	t := Table{docs: docs, ns: ns, nw: nw, stemAt: new(prefixIndex), wordAt: new(prefixIndex)}
	off := 16
	t.stems = b[off : off+4*ns]
	off += 4 * ns
	t.freq = b[off : off+2*ns]
	off += 2 * ns
	t.words = b[off : off+4*nw]
	off += 4 * nw
	t.cls = b[off : off+4*nw]
	return t, nil
}

// Hash is the key the table is built with: 32-bit FNV-1a.
func Hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// search returns the index of key among the sorted uint32s of keys in
// [lo, hi), or -1.
func search(keys []byte, lo, hi int, key uint32) int {
	n := hi
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if binary.LittleEndian.Uint32(keys[4*m:]) < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < n && binary.LittleEndian.Uint32(keys[4*lo:]) == key {
		return lo
	}
	return -1
}

// Docs is how many documents the embedded background text has (0 if the
// table is missing or corrupt, in which case every lookup finds nothing).
func Docs() int { return tab.docs }

// DocFreq is Embedded().DocFreq.
func DocFreq(stem string) int { return tab.DocFreq(stem) }

// WordShares is Embedded().WordShares.
func WordShares(folded string) (Shares, bool) { return tab.WordShares(folded) }

// Docs is how many documents the table's text has.
func (t Table) Docs() int { return t.docs }

// DocFreq returns how many background documents hold the Snowball English
// stem, as analysis/text stems it (0 for a stem never seen or seen once).
func (t Table) DocFreq(stem string) int {
	i := t.stemAt.find(t.stems, t.ns, Hash(stem))
	if i < 0 {
		return 0
	}
	return int(binary.LittleEndian.Uint16(t.freq[2*i:]))
}

// WordShares returns how the tagger tagged the case-folded word in the
// background text, and whether the word was there often enough to say.
func (t Table) WordShares(folded string) (Shares, bool) {
	i := t.wordAt.find(t.words, t.nw, Hash(folded))
	if i < 0 {
		return Shares{}, false
	}
	v := binary.LittleEndian.Uint32(t.cls[4*i:])
	var s Shares
	for c := range NumClasses {
		s[c] = uint8(v>>(4*uint(c))) & 0xF
	}
	return s, true
}
