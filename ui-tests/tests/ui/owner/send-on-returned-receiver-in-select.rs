use gocsp::prelude::*;

#[owner]
fn numbers(out: Sender<u32>) {
    out.send(1);
}

fn main() {
    let rx = numbers();
    select! {
        rx <- 2 => {}
        default => {}
    }
}
