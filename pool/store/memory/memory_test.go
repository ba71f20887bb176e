package memory_test

import (
	"testing"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/store/conformance"
	"github.com/hashless/hashless/pool/store/memory"
)

func TestConformance(t *testing.T) {
	conformance.RunTests(t, func(t *testing.T) store.Store {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}
