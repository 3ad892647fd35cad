use gocsp::prelude::*;

fn main() {
    let data: Chan<i32> = make!(chan i32, 1);
    select! {
        v: i32 = <-data => println!("{v}"),
        default => {}
    }
}
