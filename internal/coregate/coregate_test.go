package coregate

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

func TestGateAdmitsOnePerCoreAndHonoursTheContext(t *testing.T) {
	g := New()
	n := runtime.GOMAXPROCS(0)
	for range n {
		if err := g.Enter(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.Enter(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a full gate admitted a holder: %v", err)
	}
	g.Leave()
	if err := g.Enter(context.Background()); err != nil {
		t.Fatalf("a freed place was not given: %v", err)
	}
}
