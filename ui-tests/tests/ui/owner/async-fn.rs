use gocsp::prelude::*;

#[owner]
async fn numbers(out: Sender<u32>) {
    out.send(1);
}

fn main() {}
