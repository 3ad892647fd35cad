use gocsp::prelude::*;

fn main() {
    let ch: Chan<i32> = make!(chan i32, 2.5);
}
