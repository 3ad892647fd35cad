use gocsp::prelude::*;

fn main() {
    let a: Chan<i32> = make!(chan i32, 1);
    let b: Chan<i32> = make!(chan i32, 1);
    select! {
        v = <-a => println!("{v}"),
        biased;
        v = <-b => println!("{v}"),
    }
}
