//! `go_syntax!`'s Go forms leave valid Rust alone: higher-ranked bounds are not Go labels, a
//! block may end in a closure, a negation or a qualified path, and names a `go func` binds
//! itself (closure parameters, patterns, format arguments) are not the caller's variables.
use gocsp::prelude::*;

go_syntax! {
    fn apply<F>(f: F) -> usize
    where
        F: for<'a> Fn(&'a str) -> usize,
    {
        f("abc")
    }

    fn apply_inline<
        F: for<'a> Fn(&'a str) -> usize,
    >(f: F) -> usize {
        f("ab")
    }

    fn adder() -> impl Fn(i32, i32) -> i32 {
        |a, b| a + b
    }

    fn zero<T: Default>() -> T {
        <T as Default>::default()
    }

    fn negated(ch: Chan<i32>) -> i32 {
        -<-ch
    }

    fn own_names() -> (i32, i32) {
        done := make(chan i32, 2)
        acc := 100
        n := 1
        opt := Some(5)
        go func() {
            s := [1, 2, 3].iter().fold(0, |mut acc, x| { acc += x; acc })
            if let Some(mut n) = opt { n *= 2; done <- n + s }
            println!("{n}", n = 7)
        }()
        (<-done + acc, n)
    }

    fn shadowed_after() -> i32 {
        done := make(chan i32)
        x := 1
        go func() {
            x = 5
            done <- x
        }()
        r := <-done
        total := 0
        for x in 0..2 { total += x }
        r + total
    }
}

fn main() {
    assert_eq!(apply(|s| s.len()), 3);
    assert_eq!(apply_inline(|s| s.len()), 2);
    assert_eq!(adder()(1, 2), 3);
    assert_eq!(zero::<i32>(), 0);
    let ch: Chan<i32> = Chan::new(1);
    ch.send(4);
    assert_eq!(negated(ch), -4);
    assert_eq!(own_names(), (116, 1));
    assert_eq!(shadowed_after(), 6);
}
