package plural

import "testing"

func TestN(t *testing.T) {
	for _, c := range []struct {
		n          int
		noun, want string
	}{
		{0, "error", "0 errors"},
		{1, "error", "1 error"},
		{3, "error", "3 errors"},
		{1, "entry", "1 entry"},
		{2, "entry", "2 entries"},
		{2, "key", "2 keys"}, // a vowel before the y
		{2, "process", "2 processes"},
		{2, "box", "2 boxes"},
		{2, "match", "2 matches"},
		{1, "pre-flight problem", "1 pre-flight problem"},
		{4, "pre-flight problem", "4 pre-flight problems"},
		{2, "generated Application", "2 generated Applications"},
		{2, "required parameter", "2 required parameters"},
	} {
		if got := N(c.n, c.noun); got != c.want {
			t.Errorf("N(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}
