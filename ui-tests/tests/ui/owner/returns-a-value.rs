use gocsp::prelude::*;

#[owner]
fn numbers(out: Sender<u32>) -> u32 {
    out.send(1);
    1
}

fn main() {}
