use gocsp::prelude::*;

go_syntax! {
    fn drain(out: chan<- i32) {
        for v := range out {
            println!("{v}")
        }
    }
}

fn main() {}
