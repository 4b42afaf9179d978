package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// A database user who may not create tables, on a database whose Lucee
// tables scopestore brought to its layout before the shared scopes'
// tables existed (an upgrade), keeps serving sessions and client scopes;
// the shared scopes fail with an error that names the tables, and the
// cleaner cleans the rest.
func TestSharedTablesOptional(t *testing.T) {
	ctx := context.Background()
	dsn := conntest.MySQLDSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	root, err := OpenMySQL(ctx, scopes.Connection{Name: "root", Type: "mysql", Params: map[string]string{"dsn": dsn}})
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := root.migrate(ctx, []string{sessionTable, clientTable}); err != nil {
		t.Fatal(err)
	}

	user := "ss_nocreate_" + cfg.DBName[max(0, len(cfg.DBName)-12):]
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw'",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON `" + cfg.DBName + "`.* TO '" + user + "'@'%'",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP USER IF EXISTS '"+user+"'@'%'") })

	limited := *cfg
	limited.User, limited.Passwd = user, "pw"
	s, err := OpenMySQL(ctx, scopes.Connection{Name: "limited", Type: "mysql", Params: map[string]string{"dsn": limited.FormatDSN()}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	now := time.UnixMilli(time.Now().UnixMilli())
	rec := func(key scopes.Key, expires time.Time) scopes.Record {
		return scopes.Record{Key: key, Rev: scopes.NewRev(), CFToken: "0", TimeCreated: now, LastVisit: now, Expires: expires, Version: 1, Data: []byte(`{}`)}
	}
	session := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	if res, err := s.Write(ctx, rec(session, now.Add(-time.Second)), scopes.ExpectAbsent, now.Add(-2*time.Second)); err != nil || !res.Written {
		t.Fatalf("a session on a database where the shared tables cannot be created: %+v %v", res, err)
	}
	_, err = s.Write(ctx, rec(scopes.ApplicationKey("shop"), now.Add(time.Hour)), scopes.ExpectAbsent, now)
	if err == nil || !strings.Contains(err.Error(), applicationTable) {
		t.Fatalf("the application scope: %v, want an error naming %s", err, applicationTable)
	}
	if _, _, err := s.Load(ctx, scopes.ServerKey(), now); err == nil {
		t.Fatal("the server scope loaded from a table that does not exist")
	}
	keys, err := s.DeleteExpired(ctx, now, 100)
	if err != nil || len(keys) != 1 || keys[0] != session {
		t.Fatalf("the cleaner: %v %v, want the expired session", keys, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
}
