// Package faultsuite holds the module's fault-injection and security tests.
// It has no API: everything is in its _test.go files.
//
//	go test ./internal/faultsuite -run TestFaultTable -v   # the faults x APIs table
//	go test ./internal/faultsuite -run TestSecurity -v     # secrets, redirects, bounds, input
//
// TestFaultTable puts internal/faultproxy between each client and its
// in-process fake, injects one fault per run on one kind of call (copy,
// poll, get/list), runs the logical call (copy, wait, read back) and checks
// the fake's state: exactly one copy per logical call, a Wait that ends with
// the copy or with a clear error of the expected kind (and then resumes by
// name), no goroutine left behind, no call that outlives its context by more
// than one second. Set FAULT_TABLE=path to write the Markdown table to a file.
//
// Adding an API is one entry in the apis table (apis_test.go).
package faultsuite
