package transport

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// slogFactory routes pion's logs into the application's *slog.Logger; a nil
// logger means silent. pion's trace level maps below slog's debug.
type slogFactory struct{ l *slog.Logger }

func (f *slogFactory) NewLogger(scope string) logging.LeveledLogger {
	if f.l == nil {
		return silent{}
	}
	return &slogLogger{l: f.l.With("pion", scope)}
}

const levelTrace = slog.LevelDebug - 4

type slogLogger struct{ l *slog.Logger }

func (s *slogLogger) log(level slog.Level, msg string) {
	s.l.Log(context.Background(), level, msg)
}

func (s *slogLogger) logf(level slog.Level, format string, args ...any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	s.l.Log(context.Background(), level, fmt.Sprintf(format, args...))
}

func (s *slogLogger) Trace(msg string)                  { s.log(levelTrace, msg) }
func (s *slogLogger) Tracef(format string, args ...any) { s.logf(levelTrace, format, args...) }
func (s *slogLogger) Debug(msg string)                  { s.log(slog.LevelDebug, msg) }
func (s *slogLogger) Debugf(format string, args ...any) { s.logf(slog.LevelDebug, format, args...) }
func (s *slogLogger) Info(msg string)                   { s.log(slog.LevelInfo, msg) }
func (s *slogLogger) Infof(format string, args ...any)  { s.logf(slog.LevelInfo, format, args...) }
func (s *slogLogger) Warn(msg string)                   { s.log(slog.LevelWarn, msg) }
func (s *slogLogger) Warnf(format string, args ...any)  { s.logf(slog.LevelWarn, format, args...) }
func (s *slogLogger) Error(msg string)                  { s.log(slog.LevelError, msg) }
func (s *slogLogger) Errorf(format string, args ...any) { s.logf(slog.LevelError, format, args...) }

type silent struct{}

func (silent) Trace(string)          {}
func (silent) Tracef(string, ...any) {}
func (silent) Debug(string)          {}
func (silent) Debugf(string, ...any) {}
func (silent) Info(string)           {}
func (silent) Infof(string, ...any)  {}
func (silent) Warn(string)           {}
func (silent) Warnf(string, ...any)  {}
func (silent) Error(string)          {}
func (silent) Errorf(string, ...any) {}
