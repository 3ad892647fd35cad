use gocsp::prelude::*;

#[owner(size = 4)]
fn numbers(out: Sender<u32>) {
    out.send(1);
}

fn main() {}
