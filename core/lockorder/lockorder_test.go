package lockorder

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestHelperProcess runs transfers that may deadlock, in a child process.
func TestHelperProcess(t *testing.T) {
	name := testkit.HelperName()
	if name == "" {
		return
	}
	kind, variant, _ := strings.Cut(name, ":")
	transfer, err := Registry.Get(variant)
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	a, b := NewAccount(1, 100), NewAccount(2, 100)
	switch kind {
	case "opposite", "equal-ids":
		if kind == "equal-ids" {
			b = NewAccount(1, 100) // two accounts, one ID
		}
		// Each transfer takes its first lock, then waits until the other
		// has taken its first (a deadlock-prone order) or is parked waiting
		// for it (a safe one), so that the second locks are attempted in
		// the worst order.
		var arrived atomic.Int32
		testHookBetweenLocks = func() {
			arrived.Add(1)
			for arrived.Load() < 2 && !testkit.Parked("sync.Mutex.Lock") {
				time.Sleep(time.Millisecond)
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() { transfer(a, b, 10) })
		wg.Go(func() { transfer(b, a, 10) })
		wg.Wait()
	case "self":
		transfer(a, a, 10)
	default:
		os.Exit(3)
	}
	testkit.Returned("total", a.Balance()+b.Balance())
}

// deadlocks checks a helper's outcome against the table: a deadlock must be
// one (the runtime's report, or goroutines parked on a mutex at the
// deadline), never a crash of another kind.
func deadlocks(t *testing.T, kind, v string, table map[string]bool) {
	t.Parallel() // the children mostly wait out their deadline
	res := testkit.RunHelper(t, kind+":"+v, 2*time.Second)
	if testkit.Want(t, v, table) {
		assert.Equal(t, testkit.Deadlocked, res.Outcome(), "%s", res)
		if res.TimedOut {
			assert.True(t, res.ParkedIn("sync.Mutex.Lock"), "parked on a mutex: %s", res)
		}
	} else {
		assert.Equal(t, testkit.Finished, res.Outcome(), "%s", res)
		assert.Contains(t, res.Output, "total 200", "money is conserved")
	}
}

func TestSeedDefectLockorderOppositeTransfersDeadlock(t *testing.T) {
	table := map[string]bool{"naive": true, "ordered": false, "total": false}
	for _, v := range Registry.Names() {
		t.Run("impl="+v, func(t *testing.T) { deadlocks(t, "opposite", v, table) })
	}
}

func TestSeedDefectLockorderSelfTransferDeadlocks(t *testing.T) {
	// The document's "deadlock-resistant" version locks one mutex twice.
	table := map[string]bool{"naive": true, "ordered": true, "total": false}
	for _, v := range Registry.Names() {
		t.Run("impl="+v, func(t *testing.T) { deadlocks(t, "self", v, table) })
	}
}

func TestSeedDefectLockorderEqualIDsDeadlock(t *testing.T) {
	// Two different accounts with one ID, opposite transfers: the document's
	// ordered version orders by ID alone, so each transfer locks its "to"
	// account first, and they deadlock as the naive one does.
	table := map[string]bool{"naive": true, "ordered": true, "total": false}
	for _, v := range Registry.Names() {
		t.Run("impl="+v, func(t *testing.T) { deadlocks(t, "equal-ids", v, table) })
	}
}

func TestConcurrentTransfersConserveMoney(t *testing.T) {
	for _, v := range []string{"ordered", "total"} {
		t.Run("impl="+v, func(t *testing.T) {
			transfer, err := Registry.Get(v)
			require.NoError(t, err)
			accounts := make([]*Account, 4)
			for i := range accounts {
				accounts[i] = NewAccount(i, 1000)
			}
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(g), 1))
					for range 2000 {
						i, j := r.IntN(4), r.IntN(4)
						if i == j && v == "ordered" {
							continue // its self-transfer deadlock is a test of its own
						}
						transfer(accounts[i], accounts[j], int64(r.IntN(10)))
					}
				})
			}
			wg.Wait()
			var total int64
			for _, a := range accounts {
				total += a.Balance()
			}
			assert.Equal(t, int64(4000), total)
		})
	}
}

func TestTotalOrdersEqualIDs(t *testing.T) {
	a, b := NewAccount(7, 10), NewAccount(7, 10)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { Total(a, b, 1) })
		wg.Go(func() { Total(b, a, 1) })
	}
	wg.Wait()
	assert.Equal(t, int64(20), a.Balance()+b.Balance())
}
