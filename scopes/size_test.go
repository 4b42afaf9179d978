package scopes

import "testing"

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4096", 4096, true},
		{"512KiB", 512 << 10, true},
		{"1 MiB", 1 << 20, true},
		{"2GB", 2 << 30, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"1.5GiB", 0, false},
		{"GiB", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"8589934592GiB", 0, false}, // 2^33 GiB overflows
		{"99999999999999999999", 0, false},
	} {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
		if c.ok {
			back, err := ParseSize(FormatSize(got))
			if err != nil || back != got {
				t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", got, back, err)
			}
		}
	}
	if got := FormatSize(256 << 20); got != "256MiB" {
		t.Errorf("FormatSize(256MiB) = %q", got)
	}
}
