use gocsp::prelude::*;

#[owner]
fn numbers(evens: Sender<u32>, odds: Sender<u32>) {
    evens.send(0);
    odds.send(1);
}

fn main() {}
