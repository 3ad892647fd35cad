use gocsp::prelude::*;

fn main() {
    let results: Chan<Result<u32, String>> = make!(chan Result<u32, String>, 1);
    select! {
        Some(Ok(n)) = <-results => println!("{n}"),
        default => {}
    }
}
