// Package bench holds side-by-side benchmarks of peeredge against the
// standard tools it replaces (mktorrent, nginx, …). It has no production code:
// everything lives in _test.go files, run with `go test -bench . ./bench/`.
package bench
