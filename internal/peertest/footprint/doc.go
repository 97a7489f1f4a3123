// Package footprint holds one small program per directory, each doing one
// backup copy, built by ../bench.sh with `go build -trimpath -ldflags="-s -w"`
// to compare binary sizes: floor (net/http, encoding/json and crypto/hmac
// doing one signed POST), ours-* (this module) and official-* (the official
// SDKs), for all four APIs, FSx only, CBR only and Bigtable+Spanner only.
// They need not succeed against the network; they only have to link the
// copy call.
package footprint
