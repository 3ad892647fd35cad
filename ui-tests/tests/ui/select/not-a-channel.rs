use gocsp::prelude::*;

fn main() {
    let jobs: Vec<i32> = vec![1, 2];
    let quit: Chan<()> = make!(chan ());
    select! {
        job = <-jobs => println!("{job}"),
        <-quit => {}
    }
}
