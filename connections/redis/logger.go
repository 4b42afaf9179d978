package redis

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
)

// redisLogger sends go-redis's own messages (failed dials during an outage)
// to slog at debug level: the API already logs each failed request.
type redisLogger struct{}

// Printf implements go-redis's logging interface.
func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

func init() { goredis.SetLogger(redisLogger{}) }
