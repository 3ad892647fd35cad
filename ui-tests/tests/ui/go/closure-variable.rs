use gocsp::prelude::*;

fn main() {
    let ch: Chan<i32> = make!(chan i32, 1);
    let f = move || ch.send(1);
    go!(f);
}
