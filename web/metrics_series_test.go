package web

import (
	"sync"
	"testing"
)

// series makes a label set's series once, however many ask at once, and
// keeps the ones made before.
func TestSeriesMakesEachOnce(t *testing.T) {
	var s series[opLabels, *int]
	var made sync.Map
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := opLabels{"memory", "load", string(rune('a' + (i+w)%20))}
				v := s.get(k, func() *int {
					if _, dup := made.LoadOrStore(k, true); dup {
						t.Errorf("%v made twice", k)
					}
					return new(int)
				})
				if again := s.get(k, func() *int { t.Errorf("%v made again", k); return nil }); again != v {
					t.Errorf("%v: another series the second time", k)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(*s.m.Load()); n != 20 {
		t.Fatalf("%d series kept, want 20", n)
	}
}
