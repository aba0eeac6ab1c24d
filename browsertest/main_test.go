package browsertest

import (
	"os"
	"testing"

	"github.com/chanrtc/chanrtc/internal/netnstest"
)

// TestMain runs the tests in a private network namespace whose only
// interface is lo (Chromium, the Go side and examples/echo together), with
// examples/echo built first.
func TestMain(m *testing.M) {
	os.Exit(netnstest.Main(m, "browsertest", "./examples/echo"))
}
