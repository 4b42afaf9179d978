// Package enginetest holds the tests of scopes.Engine and scopes.Directory
// that run over real stores (memory, SQLite, and the MariaDB, PostgreSQL and
// Redis servers of the test machine), so that package scopes itself imports
// only the standard library, in its tests too, and tests with nothing but Go.
package enginetest
