use gocsp::prelude::*;

go_syntax! {
    fn answer() -> i32 {
        x := 0
        done := make(chan bool)
        go func() {
            x = 42
            done <- true
        }()
        <-done
        x
    }
}

fn main() {
    answer();
}
