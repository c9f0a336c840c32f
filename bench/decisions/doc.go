// Package decisions benchmarks how many upload decisions per second Sluice records: held uploads of a
// customer list through the proxy, each inspected, decided, kept (blob) and written to the keyed audit
// chain, on bbolt and on PostgreSQL with one and two nodes, in the same run (see decisions_test.go).
package decisions
