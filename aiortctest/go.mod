module github.com/chanrtc/chanrtc/aiortctest

go 1.25

require github.com/chanrtc/chanrtc v0.0.0

replace github.com/chanrtc/chanrtc => ../
