package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

// instanceID names this instance among those that share the config store,
// in the Overview's charts of all of them: its host name and the port it
// listens on ("web-1:8080"), so that a restarted instance keeps its name
// rather than counting as one more for an hour, and two instances on one
// host differ. At most 64 characters, the width of the column that keeps it.
func instanceID(addr net.Addr) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	port := ""
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = ":" + strconv.Itoa(tcp.Port)
	}
	host = strings.Map(func(r rune) rune {
		if r <= ' ' || r == utf8.RuneError {
			return -1
		}
		return r
	}, host)
	for utf8.RuneCountInString(host+port) > 64 {
		_, size := utf8.DecodeLastRuneInString(host)
		host = host[:len(host)-size]
	}
	return host + port
}

// shareHistory makes the History publish this instance's minutes to the
// config store and merge the other instances', when instances can share it
// (MySQL, PostgreSQL). On SQLite, which one instance keeps, the History
// keeps its own measurements and writes nothing there.
func shareHistory(h *scopes.History, cs *configstore.Store, instance string) {
	if instance == "" || cs.Dialect() == configstore.DialectSQLite {
		return
	}
	h.Instance, h.Share = instance, cs
}
