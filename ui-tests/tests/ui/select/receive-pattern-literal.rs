use gocsp::prelude::*;

fn main() {
    let codes: Chan<i32> = make!(chan i32, 1);
    select! {
        Some(0) = <-codes => println!("ok"),
        default => {}
    }
}
