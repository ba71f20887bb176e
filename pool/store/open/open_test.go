package open_test

import (
	"path/filepath"
	"testing"

	"github.com/hashless/hashless/pool/store/memory"
	"github.com/hashless/hashless/pool/store/open"
	"github.com/hashless/hashless/pool/store/sqlstore"
)

func TestOpen(t *testing.T) {
	s, err := open.Open(t.Context(), open.Memory, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*memory.Store); !ok {
		t.Fatalf("Open(%q) = %T", open.Memory, s)
	}
	s.Close()

	s, err = open.Open(t.Context(), filepath.Join(t.TempDir(), "pool.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*sqlstore.Store); !ok {
		t.Fatalf("Open(a path) = %T", s)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}
