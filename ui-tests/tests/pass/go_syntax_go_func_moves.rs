//! What a `go func` literal may still move in `go_syntax!`: values it alone uses after the
//! `go` line, `Copy` values, a variable assigned anew or used only in another branch, and a
//! loop that leaves after its goroutine starts. None of these is reported as a capture that
//! cannot be shared.
#![deny(warnings)]
use gocsp::prelude::*;

go_syntax! {
    fn moves(flag bool) -> (String, usize, i32) {
        done := make(chan String, 4)
        // Moved, and not used again: fine.
        owned := String::from("owned")
        go func() {
            done <- owned
        }()
        // `Copy` values are copied into the goroutine.
        n := 5
        go func() {
            done <- n.to_string()
        }()
        // Assigned anew after the move.
        again := String::from("first")
        go func() {
            done <- again
        }()
        again = String::from("second")
        // Used in the other branch only.
        branch := String::from("branch")
        if flag {
            go func() {
                done <- branch
            }()
        } else {
            done <- branch
        }
        // A loop that leaves after its goroutine starts moves once.
        once := vec![1, 2, 3]
        loop {
            go func() {
                assert_eq!(once.len(), 3)
            }()
            break
        }
        // A variable the body declares again is its own.
        shadow := String::from("outer")
        go func() {
            shadow := 7
            assert_eq!(shadow, 7)
        }()
        got := Vec::new()
        for _ in 0..4 {
            got.push(<-done)
        }
        got.sort()
        assert_eq!(got, ["5", "branch", "first", "owned"])
        (again, shadow.len(), n)
    }
}

fn main() {
    assert_eq!(moves(true), (String::from("second"), 5, 5));
}
