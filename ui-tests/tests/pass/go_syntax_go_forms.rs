//! Go forms `go_syntax!` takes as written: Go-style parameters after a method's receiver,
//! `in` as a name, Go slicing (`s[a:b]`, `s[:n]`, `s[n:]`, `s[:]`, also in `go` arguments,
//! which get their own copy), `len`/`cap` on channels and containers alike (also after `..`),
//! and the `go!` macro inside.
#![deny(warnings)]
#![allow(non_snake_case)]
use gocsp::prelude::*;
use std::sync::Mutex;

#[derive(Default)]
struct SafeCounter {
    v: Mutex<Vec<String>>,
}

go_syntax! {
    impl SafeCounter {
        fn Inc(&self, key &str, times usize) {
            for _ in 0..times {
                self.v.lock().unwrap().push(key.to_string())
            }
        }

        fn Value(&self, key &str) -> usize {
            self.v.lock().unwrap().iter().filter(|k| *k == key).count()
        }
    }

    // The Go Tour's `sum`.
    fn sum(s &[i32], c chan<- i32) {
        sum := 0
        for v in s {
            sum += v
        }
        c <- sum
    }

    fn relay(in <-chan i32, out chan<- i32) {
        for v := range in {
            out <- v
        }
        close(out)
    }

    fn tour() -> (i32, i32) {
        s := vec![7, 2, 8, -9, 4, 0]
        c := make(chan i32)
        go sum(s[:len(s)/2], c.clone())
        go sum(s[len(s)/2:], c.clone())
        x, y := <-c, <-c
        (x.min(y), x.max(y))
    }

    fn slices() -> Vec<usize> {
        s := vec![1, 2, 3, 4, 5]
        a := s[1:3]
        b := &s[2:]
        c := s[:]
        mid := 1
        d := s[mid:mid+2]
        arr := [1u8; 4]
        ch := make(chan i32, 3)
        ch <- 1
        text := "gopher"
        total := 0
        for i in 0..len(s) {
            total += s[i]
        }
        vec![a.len(), len(b), len(c), len(d), len(s), cap(arr), len(ch), cap(ch),
            len(text[1:3]), total as usize, len(&s[..])]
    }

    fn run_go_macro() -> bool {
        done := make(chan bool, 1)
        d := done.clone()
        go! { d <- true }
        <-done
    }
}

fn main() {
    let c = SafeCounter::default();
    c.Inc("somekey", 3);
    assert_eq!(c.Value("somekey"), 3);

    assert_eq!(tour(), (-5, 17));

    let src: Chan<i32> = make!(chan i32, 2);
    let dst: Chan<i32> = make!(chan i32, 2);
    src.send(4);
    src.close();
    relay(src.receiver(), dst.sender());
    assert_eq!(dst.recv(), Some(4));
    assert_eq!(dst.recv(), None);

    assert_eq!(slices(), [2, 3, 5, 2, 5, 4, 1, 3, 2, 15, 5]);
    assert!(run_go_macro());

    let v: Vec<i32> = Vec::with_capacity(10);
    go_syntax! {
        n := cap(v)
        assert!(n >= 10)
    }
}
