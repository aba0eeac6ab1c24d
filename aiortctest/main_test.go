package aiortctest

import (
	"os"
	"testing"

	"github.com/chanrtc/chanrtc/internal/netnstest"
)

// TestMain runs the tests in a private network namespace whose only
// interface is lo (aiortc's scripts and the examples together), with
// examples/echo and examples/dial built first.
func TestMain(m *testing.M) {
	os.Exit(netnstest.Main(m, "aiortctest", "./examples/echo", "./examples/dial"))
}
