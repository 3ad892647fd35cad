use gocsp::prelude::*;

go_syntax! {
    fn once(ch <-chan i32) {
        select {
        case v := <-ch:
            if v == 0 {
                continue
            }
        }
    }
}

fn main() {}
