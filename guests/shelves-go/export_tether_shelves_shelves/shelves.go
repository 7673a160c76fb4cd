// The shelves guest in Go: the guest of `guests/shelves` (Rust), written over the bindings that
// `wit-bindgen go` generates for the world `shelf-guest` of `guests/shelves/wit`, and built by
// `crates/test-programs/build/go.rs` (see `guests/wasi-README.md`).
//
// `shelf` is this guest's own resource: the bindings hand the host a handle to a pinned
// `*Shelf`, and give the pointer back when the host passes the handle in. An owned handle the
// host passes in stays in this instance's table until the guest drops it (`Drop`), which runs
// the destructor, `OnDrop`, as dropping it from the host does. The bindings call `OnDrop` a
// second time after a `Drop`, so it acts once.
package export_tether_shelves_shelves

import (
	"runtime"
	"slices"

	log "wit_component/tether_shelves_log"
)

// dropped counts the shelves this instance has dropped.
var dropped uint32

// Shelf is a list of strings and the host log its changes go to.
type Shelf struct {
	handle int32
	pinner runtime.Pinner
	name   string
	items  []string
	// log is nil once handed on to another shelf.
	log  *log.Log
	gone bool
}

// OnDrop runs when the shelf's handle is dropped: it counts the shelf and drops its log.
func (s *Shelf) OnDrop() {
	if s.gone {
		return
	}
	s.gone = true
	dropped++
	if s.log != nil {
		s.log.Drop()
		s.log = nil
	}
}

// MakeShelf is the constructor: an empty shelf writing to l, which the shelf now owns.
func MakeShelf(name string, l *log.Log) *Shelf {
	l.Write("new " + name)
	return &Shelf{name: name, log: l}
}

func (s *Shelf) Name() string { return s.name }

func (s *Shelf) Push(item string) {
	s.log.Write("push " + item)
	s.items = append(s.items, item)
}

func (s *Shelf) Len() uint32 { return uint32(len(s.items)) }

// Items copies the items out; the shelf lives on.
func (s *Shelf) Items() []string { return slices.Clone(s.items) }

// ShelfMerge consumes a and b into a shelf named `a+b` writing to a's log; b's log is dropped.
func ShelfMerge(a, b *Shelf) *Shelf {
	name := a.name + "+" + b.name
	items := append(slices.Clone(a.items), b.items...)
	a.log.Write("merge " + name)
	l := a.log
	a.log = nil
	a.Drop()
	b.Drop()
	return &Shelf{name: name, items: items, log: l}
}

// ShelfTake consumes the shelf, moving its items out; its log is dropped.
func ShelfTake(s *Shelf) []string {
	s.log.Write("take")
	items := s.items
	s.Drop()
	return items
}

// Same reports whether two borrowed shelves hold the same items.
func Same(a, b *Shelf) bool { return slices.Equal(a.items, b.items) }

func Dropped() uint32 { return dropped }
