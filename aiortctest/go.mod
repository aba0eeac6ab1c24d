module github.com/chanrtc/chanrtc/aiortctest

go 1.25
