use gocsp::prelude::*;

fn main() {
    let a: Chan<i32> = make!(chan i32, 1);
    select! {
    case v := <-a
        println!("{v}")
    default:
    }
}
