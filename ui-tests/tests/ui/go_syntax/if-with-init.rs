use gocsp::prelude::*;

go_syntax! {
    fn check(ch: <-chan i32) {
        if v, ok := <-ch; ok {
            println!("{v}")
        }
    }
}

fn main() {}
