use gocsp::prelude::*;

fn main() {
    let ch: Chan<i32> = make!(chan i32, 1);
    let ready = true;
    select! {
        ready => {}
        v = <-ch => println!("{v}"),
    }
}
