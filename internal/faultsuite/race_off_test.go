//go:build !race

package faultsuite

// raceEnabled: the race detector is on (allocation counts run higher).
const raceEnabled = false
