package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/scopestore/scopestore/admin"
)

// The connection commands as --server sends them to a running server's
// admin JSON API; the password goes in the JSON body, never in a URL. The
// server's connection manager records each change as the token's user.

func connectionCreateRemote(rc *runContext, r *remote, _ []string) error {
	c, noVerify, err := connectionFromFlags(rc)
	if err != nil {
		return err
	}
	params := map[string]string{}
	for k, v := range c.Params {
		if v != "" {
			params[k] = v
		}
	}
	body := map[string]any{"name": c.Name, "type": c.Type, "storage": c.Storage, "params": params, "no_verify": noVerify}
	if c.Secret != "" {
		body["password"] = c.Secret
	}
	status, data, err := r.send(rc.ctx, "POST", "/connections", nil, body)
	if err != nil {
		return err
	}
	if status == http.StatusUnprocessableEntity {
		var failed admin.APIChecksFailed
		if json.Unmarshal(data, &failed) == nil && failed.Error.Code == admin.CodeCheckFailed {
			printChecks(rc.stdout, c.Name, c.Storage, failed.Checks)
			return createCheckFailed(c.Name)
		}
	}
	if status >= 300 {
		return r.answerError("POST", "/connections", status, data)
	}
	var v admin.APIVerified
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("read the server's answer: %w", err)
	}
	switch {
	case v.Verified:
		printChecks(rc.stdout, v.Connection.Name, v.Connection.Storage, v.Checks)
	case !noVerify:
		printNotVerified(rc, v.Connection.Type)
	}
	printConnectionCreated(rc, v.Connection.Name, v.Connection.Kind, v.Connection.Type, v.Connection.Storage)
	return nil
}

func connectionEditRemote(rc *runContext, r *remote, args []string) error {
	ch, err := connectionChangeFlags(rc)
	if err != nil {
		return err
	}
	body := map[string]any{}
	if ch.Storage != nil {
		body["storage"] = *ch.Storage
	}
	if len(ch.Params) > 0 {
		body["params"] = ch.Params
	}
	switch {
	case ch.Clear:
		body["clear_password"] = true
	case ch.Password != nil:
		body["password"] = *ch.Password
	}
	var answer struct {
		Connection admin.APIConnection `json:"connection"`
	}
	if err := r.call(rc.ctx, "PATCH", connectionPath(args[0]), nil, body, &answer); err != nil {
		return err
	}
	fmt.Fprintf(rc.stderr, "Updated connection %s; the server at %s uses the new definition now, other instances after a restart.\n",
		answer.Connection.Name, r.base)
	return nil
}

func connectionDeleteRemote(rc *runContext, r *remote, args []string) error {
	var answer struct {
		Deleted string `json:"deleted"`
	}
	if err := r.call(rc.ctx, "DELETE", connectionPath(args[0]), nil, nil, &answer); err != nil {
		return err
	}
	printConnectionDeleted(rc, answer.Deleted)
	return nil
}

// connectionVerifyRemote runs the checks on the server, which connects to
// the connection's server from where it runs: exit code 5 when one fails.
func connectionVerifyRemote(rc *runContext, r *remote, args []string) error {
	var v admin.APIVerified
	if err := r.call(rc.ctx, "POST", connectionPath(args[0])+"/verify", nil, struct{}{}, &v); err != nil {
		return err
	}
	if printChecks(rc.stdout, v.Connection.Name, v.Connection.Storage, v.Checks) {
		return &checkFailed{}
	}
	return nil
}
