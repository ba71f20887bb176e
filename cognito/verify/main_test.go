package verify_test

import (
	"os"
	"testing"

	"github.com/hashless/hashless/cognito/internal/mototest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	mototest.Stop()
	os.Exit(code)
}
