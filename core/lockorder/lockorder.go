// Package lockorder is the document's Transfer between two accounts, each
// guarded by its own mutex.
//
// Variants (Registry):
//   - naive:   lock from, then to: two opposite transfers deadlock;
//   - ordered: the document's fix, lock by ascending ID. Its own defects: a
//     transfer from an account to itself locks the same mutex twice, and
//     two accounts with one ID are locked in opposite orders by opposite
//     transfers;
//   - total:   ascending ID with a self-transfer (or equal IDs, by pointer)
//     handled, so any pair in any order is safe.
package lockorder

import (
	"cmp"
	"sync"
	"unsafe"

	"github.com/llmbench/llmbench/core/registry"
)

// Account is a balance with its own lock.
type Account struct {
	ID      int
	mu      sync.Mutex
	balance int64
}

// NewAccount opens an account.
func NewAccount(id int, balance int64) *Account { return &Account{ID: id, balance: balance} }

// Balance reads the balance.
func (a *Account) Balance() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}

// Transfer moves amount from one account to another.
type Transfer func(from, to *Account, amount int64)

// Registry holds the variants by name.
var Registry = registry.New[Transfer]("lockorder")

func init() {
	Registry.Register("naive", "lock from, then to (deadlock-prone)", Naive)
	Registry.Register("ordered", "the document's fix: ascending ID (self-transfer deadlocks)", Ordered)
	Registry.Register("total", "ascending ID, self-transfer and equal IDs handled", Total)
}

// testHookBetweenLocks runs after the first lock is taken.
var testHookBetweenLocks func()

func between() {
	if testHookBetweenLocks != nil {
		testHookBetweenLocks()
	}
}

// Naive, Ordered: the document's "Avoiding Concurrency Issues, 1.
// Deadlocks" (concurrency-patterns.md), as written; Total is the corrected
// version.

// Naive is the document's deadlock-prone version.
func Naive(from, to *Account, amount int64) {
	from.mu.Lock()
	defer from.mu.Unlock()
	between()
	to.mu.Lock()
	defer to.mu.Unlock()
	from.balance -= amount
	to.balance += amount
}

// Ordered is the document's deadlock-resistant version, as written.
func Ordered(from, to *Account, amount int64) {
	first, second := from, to
	if from.ID >= to.ID {
		first, second = to, from
	}
	first.mu.Lock()
	between()
	second.mu.Lock() // the same mutex again when from == to
	defer first.mu.Unlock()
	defer second.mu.Unlock()
	from.balance -= amount
	to.balance += amount
}

// Total orders by ID, then by address for equal IDs, and takes one lock for
// a self-transfer (which changes nothing).
func Total(from, to *Account, amount int64) {
	if from == to {
		return
	}
	first, second := from, to
	if c := cmp.Compare(from.ID, to.ID); c > 0 || (c == 0 && uintptr(unsafe.Pointer(from)) > uintptr(unsafe.Pointer(to))) {
		first, second = to, from
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	between()
	second.mu.Lock()
	defer second.mu.Unlock()
	from.balance -= amount
	to.balance += amount
}
