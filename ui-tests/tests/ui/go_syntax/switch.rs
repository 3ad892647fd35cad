use gocsp::prelude::*;

go_syntax! {
    fn classify(n: i32) {
        switch n {
        }
    }
}

fn main() {}
