package memory

// LockEntries counts the lock table's entries, for the sweep's test.
func LockEntries(s *Store) int {
	s.locks.mu.Lock()
	defer s.locks.mu.Unlock()
	return len(s.locks.m)
}
