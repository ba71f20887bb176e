package storeauth

import "context"

// Fault points let tests stop the process at the exact step of a saga (with a real SIGKILL,
// see the serve fault tests) and prove that no state is lost. The hook travels in the
// request context so that nothing global is involved; production never sets one.
type faultKey struct{}

// WithFaultHook returns ctx carrying hook, which is called with the name of every fault
// point reached.
func WithFaultHook(ctx context.Context, hook func(point string)) context.Context {
	return context.WithValue(ctx, faultKey{}, hook)
}

func faultPoint(ctx context.Context, point string) {
	if hook, ok := ctx.Value(faultKey{}).(func(string)); ok && hook != nil {
		hook(point)
	}
}
