package memory_test

import (
	"testing"

	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/conformance"
	"github.com/hashless/hashless/storeauth/store/memory"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.RunTests(t, func(t *testing.T) store.Store {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}
