use gocsp::prelude::*;

#[owner]
struct Numbers {
    out: Sender<u32>,
}

fn main() {}
