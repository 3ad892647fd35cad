//! In `go_syntax!`, `fn main` is the main goroutine, as in Go.
#![forbid(unsafe_code)]

use gocsp::prelude::*;

go_syntax! {
    fn double(src: <-chan i32, dst: chan<- i32) {
        for v := range src { dst <- v * 2 }
        close(dst)
    }

    fn main() {
        assert!(gocsp::goroutine_id().is_some(), "main runs as a goroutine")
        src := make(chan i32)
        dst := make(chan i32)
        go double(src, dst)
        go func() {
            for i in 1..=3 { src <- i }
            close(src)
        }()
        sum := 0
        for v := range dst { sum += v }
        assert_eq!(sum, 12)
    }
}
