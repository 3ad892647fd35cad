use gocsp::prelude::*;

go_syntax! {
    fn consume(input: <-chan i32) {
        for v := range input {
            println!("{v}")
        }
    }

    fn run(results: chan<- i32) {
        go consume(results)
    }
}

fn main() {}
