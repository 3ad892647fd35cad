use gocsp::prelude::*;

go_syntax! {
    fn consume(input: chan<- i32) -> i32 {
        v := <-input
        v
    }
}

fn main() {}
