package scopes

import (
	"testing"
	"time"
)

func TestParseAuditTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		end  bool
		want time.Time
		bad  bool
	}{
		{"", false, time.Time{}, false},
		{"2026-03-14", false, time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), false},
		{"2026-03-14", true, time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), false},
		{"2026-03-14T16:09:26+01:00", false, time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC), false},
		{"2026-03-14T15:09:26Z", true, time.Date(2026, 3, 14, 15, 9, 26, 1000, time.UTC), false},
		{"14/03/2026", false, time.Time{}, true},
		{"2026-02-30", false, time.Time{}, true},
	} {
		got, err := ParseAuditTime(tc.in, tc.end)
		if (err != nil) != tc.bad || !got.Equal(tc.want) {
			t.Errorf("ParseAuditTime(%q, %v) = %v, %v; want %v (error %v)", tc.in, tc.end, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseAuditPos(t *testing.T) {
	p := AuditPos{At: time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC), ID: 42}
	if back, err := ParseAuditPos(p.String()); err != nil || back != p {
		t.Errorf("ParseAuditPos(%q) = %v, %v; want %v", p.String(), back, err, p)
	}
	for _, bad := range []string{"42", "x_1", "1_x", "1_-1"} {
		if _, err := ParseAuditPos(bad); ErrorCode(err) != EInvalid {
			t.Errorf("ParseAuditPos(%q): err = %v, want invalid", bad, err)
		}
	}
	if p, err := ParseAuditPos(""); err != nil || !p.IsZero() {
		t.Errorf("ParseAuditPos(\"\") = %v, %v; want the zero position", p, err)
	}
}
