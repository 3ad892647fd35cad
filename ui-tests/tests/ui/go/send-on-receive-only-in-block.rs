use gocsp::prelude::*;

fn main() {
    let ch: Chan<i32> = make!(chan i32, 1);
    let rx: Receiver<i32> = ch.receiver();
    go! {
        rx <- 1
    }
}
