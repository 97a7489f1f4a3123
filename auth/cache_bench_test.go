package auth

import (
	"context"
	"testing"
)

// BenchmarkCachedAWSCredentialsRetrieve is the per-call cost of the cache
// when it holds fresh credentials (every FSx request pays it once).
func BenchmarkCachedAWSCredentialsRetrieve(b *testing.B) {
	c := NewCachedAWSCredentials(StaticAWSCredentials("AKID", "secret", ""))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Retrieve(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
