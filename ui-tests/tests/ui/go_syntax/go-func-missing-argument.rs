use gocsp::prelude::*;

go_syntax! {
    fn start(results: chan<- i32) {
        go func(id i32, out chan<- i32) {
            out <- id
        }(results)
    }
}

fn main() {}
