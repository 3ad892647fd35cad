//! Every macro's expansion compiles under `#![forbid(unsafe_code)]`.
#![forbid(unsafe_code)]
use gocsp::prelude::*;

#[owner(buffer = 1)]
fn one(out: Sender<i32>) {
    out.send(1);
}

go_syntax! {
    fn pump(src <-chan i32, dst chan<- i32) {
        for v := range src { dst <- v }
        close(dst)
    }
}

fn main() {
    let a: Chan<i32> = make!(chan i32, 1);
    let b = make!(chan i32, 1);
    go!(pump(one(), a.sender()));
    let tx = b.sender();
    go!(move || tx.send(2));
    let mut total = 0;
    for _ in 0..2 {
        select! {
            Some(v) = <-a => total += v,
            v, ok = <-b => { assert!(ok); total += v }
        }
    }
    defer!(assert_eq!(total, 3));
}
