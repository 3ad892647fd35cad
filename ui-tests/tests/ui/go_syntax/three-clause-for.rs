use gocsp::prelude::*;

go_syntax! {
    fn count() {
        for i := 0; i < 3; i += 1 {
            println!("{i}")
        }
    }
}

fn main() {}
