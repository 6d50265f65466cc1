package bench

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// failures counts the failed requests of a load run across its workers and
// keeps the first error, which is usually the telling one.
type failures struct {
	n     atomic.Int64
	once  sync.Once
	first error
}

func (f *failures) record(err error) {
	f.n.Add(1)
	f.once.Do(func() { f.first = err })
}

func (f *failures) count() int64 { return f.n.Load() }

// err summarises the failures of a finished run (what: "requests",
// "announces", "sockets"); nil when there were none.
func (f *failures) err(what string) error {
	if n := f.n.Load(); n > 0 {
		return fmt.Errorf("%d failed %s, first: %w", n, what, f.first)
	}
	return nil
}
