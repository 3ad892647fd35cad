use gocsp::prelude::*;

go_syntax! {
    fn drain(ch: <-chan i32) {
        for i, v := range ch {
            println!("{i} {v}")
        }
    }
}

fn main() {}
