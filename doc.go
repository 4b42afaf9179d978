// Package scopestore holds no code: the service is cmd/scopestore. Its tests
// check the rules of ARCHITECTURE.md that hold across packages, such as
// which package may import which.
package scopestore
