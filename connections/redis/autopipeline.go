package redis

import (
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// Every request sends one command to Redis, a GET or a script, and waits
// for its answer. Sent alone, each costs a write and a read on both ends of
// its connection, which on a busy machine cost more than Redis's work on
// the command. With autopipelining, go-redis's AutoPipeliner (its blocking
// face) sends the commands of concurrent requests together, one write and
// one read for many, while each request still waits for its own answer; a
// command sent while none is waiting goes at once. A batch runs on its own
// context, bounded by the read and write timeouts, so that a request that
// ends early fails none of the others' commands. scopebench measured
// redis-cluster at 0.77–0.92 of bare-redis with it, 0.65–0.70 without.
//
// It is on by default, and off in Cluster mode, where the store follows
// MOVED itself during a failover (runScript) and the autopipeliner's own
// routing has not been tested against it. The autopipeline param turns it
// off: go-redis calls the feature experimental.

// autopipelineParam reads the autopipeline param: on by default outside
// Cluster mode; true in Cluster mode is refused.
func autopipelineParam(c scopes.Connection, cluster bool) (bool, error) {
	v := c.Params["autopipeline"]
	if v == "" {
		return !cluster, nil
	}
	on, err := scopes.ParseBool(v)
	switch {
	case err != nil:
		return false, scopes.Errorf(scopes.EInvalid, "redis connection %s: autopipeline %q must be true or false", c.Name, v)
	case on && cluster:
		return false, scopes.Errorf(scopes.EInvalid, "redis connection %s: autopipeline is not available in mode cluster yet: remove it or set it to false", c.Name)
	}
	return on, nil
}

// autopipeline sends reads and scripts through the AutoPipeliners of client
// and writer, which keep their options: the writer's still sends each
// script once. A store whose writes wait for replicas sends each script
// with its WAIT in a pipeline of its own (send), so only its reads are
// autopipelined. Closing the clients closes them.
func (s *Store) autopipeline() error {
	reader, ok := s.client.(*goredis.Client)
	writer, wok := s.writer.(*goredis.Client)
	if !ok || !wok {
		return fmt.Errorf("redis: autopipeline needs a standalone or Sentinel client, not %T", s.client)
	}
	reads, err := reader.AutoPipeline()
	if err != nil {
		return fmt.Errorf("redis: autopipeline: %w", err)
	}
	s.reads = reads
	if s.replicas > 0 {
		return nil
	}
	scripts, err := writer.AutoPipeline()
	if err != nil {
		return fmt.Errorf("redis: autopipeline: %w", err)
	}
	s.scripts = scripts
	return nil
}
