package main

import "testing"

// The same values as ../src/common.rs pins, so both sides draw the same deadlines.
func TestRngMatchesRust(t *testing.T) {
	r := rng(seed)
	if v := r.next(); v != 15860402102123842989 {
		t.Fatalf("first value %d", v)
	}
	want := []uint64{574, 30}
	for i, w := range want {
		if v := r.next() % 1000; v != w {
			t.Fatalf("value %d: %d, want %d", i+2, v, w)
		}
	}
}

func TestSieveHops(t *testing.T) {
	if h := sieveHops(3); h != 1+2+1+3 {
		t.Fatalf("sieveHops(3) = %d", h)
	}
	if p := nthPrime(5000); p != 48611 {
		t.Fatalf("nthPrime(5000) = %d", p)
	}
}
